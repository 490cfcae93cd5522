package loopback

// isAddrInUse is false: Plan 9 reports errors as strings, and a conflict
// there still fails Listen, only with a plainer message.
func isAddrInUse(error) bool { return false }
