package tokencache

// Persistence says where a credential keeps its tokens. The zero value keeps
// them in memory, for the credential's lifetime.
type Persistence struct {
	// open returns the storage of one CAE mode.
	open func(cae bool) (Storage, error)
	// desc names the storage in messages, such as "Secret Service".
	desc string
}

// NewPersistence returns a Persistence whose storage open returns.
func NewPersistence(desc string, open func(cae bool) (Storage, error)) Persistence {
	return Persistence{open: open, desc: desc}
}

// IsZero reports whether p keeps tokens in memory.
func (p Persistence) IsZero() bool { return p.open == nil }

// String describes p without secrets.
func (p Persistence) String() string {
	if p.open == nil {
		return "in-memory token cache"
	}
	return "persistent token cache (" + p.desc + ")"
}

// Open returns the Cache of one CAE mode.
func (p Persistence) Open(cae bool, warn func(string)) (*Cache, error) {
	if p.open == nil {
		return New(nil, warn), nil
	}
	s, err := p.open(cae)
	if err != nil {
		return nil, err
	}
	return New(s, warn), nil
}
