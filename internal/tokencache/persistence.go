package tokencache

// Persistence says where a credential keeps its tokens. The zero value keeps
// them in memory, for the credential's lifetime.
type Persistence struct {
	// open returns the storage of one CAE mode; warn reports problems that
	// don't stop it from working, such as a file mode it had to tighten.
	open func(cae bool, warn func(string)) (Storage, error)
	// desc names the storage in messages, such as "Secret Service".
	desc string
	// warning, when set, is logged by every credential that opens p: it
	// explains a choice made when p was built (say, falling back to
	// unencrypted storage) to whoever reads the credential's log.
	warning string
	// records, when set, remembers the signed-in user.
	records RecordStore
}

// NewPersistence returns a Persistence whose storage open returns.
func NewPersistence(desc string, open func(cae bool) (Storage, error)) Persistence {
	return Persistence{open: func(cae bool, _ func(string)) (Storage, error) { return open(cae) }, desc: desc}
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
	if warn == nil {
		warn = func(string) {}
	}
	if p.warning != "" && !cae {
		// Once per credential, not once per CAE mode.
		warn(p.warning)
	}
	s, err := p.open(cae, warn)
	if err != nil {
		return nil, err
	}
	return New(s, warn), nil
}

// WithWarning returns p logging msg whenever a credential opens it.
func (p Persistence) WithWarning(msg string) Persistence {
	p.warning = msg
	return p
}

// RecordStore keeps a credential's AuthenticationRecord (as JSON) beside its
// tokens, so that a new process with the same options signs in silently.
// Keys are client IDs: one record per application.
type RecordStore interface {
	Load(key string) ([]byte, error) // nil, nil when there is none
	Save(key string, record []byte) error
	Delete(key string) error
}

// WithRecords returns p remembering records in rs.
func (p Persistence) WithRecords(rs RecordStore) Persistence {
	p.records = rs
	return p
}

// Records returns where p remembers records, or nil.
func (p Persistence) Records() RecordStore { return p.records }
