package loopback

// reservedHint has nothing to add on Plan 9.
const reservedHint = ""

// isAddrInUseErrno is false: Plan 9 reports errors as strings, and a conflict
// there still fails Listen, only with a plainer message.
func isAddrInUseErrno(error) bool { return false }
