package platform

// oNonblock: Windows opens files without waiting.
const oNonblock = 0
