package platform

// oNonblock: Windows opens files without waiting.
const oNonblock = 0

// holdRoot: Windows cannot remove a directory a handle holds open, and tests (and a
// replay's clean-up) remove the root while FS values of it remain: a confined FS opens
// its root for each call instead (see FS.openRoot).
const holdRoot = false
