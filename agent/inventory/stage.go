package inventory

// A stage is one step of discovery: it runs in a goroutine of its own from the moment it
// is started, and get waits for its value. A stage names its inputs by calling get on
// the stages it reads, so discovery runs each step as soon as what it needs is there:
// the order is the data each step needs, not the order of the code (see recipe).
type stage[T any] struct {
	done chan struct{}
	v    T
}

// start runs f as a stage of d; d.stages.Wait waits for every stage started.
func start[T any](d *discovery, f func() T) *stage[T] {
	s := &stage[T]{done: make(chan struct{})}
	d.stages.Add(1)
	go func() {
		defer d.stages.Done()
		defer close(s.done)
		s.v = f()
	}()
	return s
}

// get waits for the stage's value.
func (s *stage[T]) get() T {
	<-s.done
	return s.v
}
