package tokencache

// Persistence says where a credential keeps its tokens. The zero value keeps
// them in memory, for the credential's lifetime.
//
// Its only methods are String and IsZero: it is the public Cache type of the
// module's root package, and what it can do is for this module alone, through
// [Open], [WithWarning], [WithRecords] and [RecordsOf].
type Persistence struct {
	// open returns the storage of one CAE mode; warn reports problems that
	// don't stop it from working, such as a file mode it had to tighten.
	open func(cae bool, warn func(string)) (Storage, error)
	// redeemLock is the lock file that serializes refresh token
	// redemptions across processes; "" when storage isn't shared.
	redeemLock string
	// desc names the storage in messages, such as "Secret Service".
	desc string
	// warning, when set, is logged by every credential that opens p: it
	// explains a choice made when p was built (say, falling back to
	// unencrypted storage) to whoever reads the credential's log.
	warning string
	// records, when set, remembers the signed-in user.
	records RecordStore
	// azidentity, when set, returns the store azidentity/cache keeps for the
	// same cache name in a CAE mode, or nil: it is read while this one is
	// empty, so that a user switching from azidentity keeps their sign-in.
	azidentity func(cae bool, warn func(string)) Storage
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

// WithWarning returns p logging msg whenever a credential opens it.
func WithWarning(p Persistence, msg string) Persistence {
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
func WithRecords(p Persistence, rs RecordStore) Persistence {
	p.records = rs
	return p
}

// RecordsOf returns where p remembers records, or nil.
func RecordsOf(p Persistence) RecordStore { return p.records }
