package wam

// The MSALRuntime procedures the binding calls, indexes into procNames.
const (
	procStartup = iota
	procCreateAuthParameters
	procReleaseAuthParameters
	procSetRequestedScopes
	procSetRedirectUri
	procSetDecodedClaims
	procSetAdditionalParameter
	procSignInInteractivelyAsync
	procSignInSilentlyAsync
	procAcquireTokenSilentlyAsync
	procReadAccountByIdAsync
	procSignOutSilentlyAsync
	procDiscoverAccountsAsync
	procCancelAsyncOperation
	procReleaseAsyncHandle
	procReleaseAuthResult
	procGetError
	procGetAccessToken
	procGetExpiresOn
	procGetGrantedScopes
	procIsPopAuthorization
	procGetAccount
	procReleaseAccount
	procGetAccountId
	procGetHomeAccountId
	procGetEnvironment
	procGetRealm
	procGetLocalAccountId
	procGetUserName
	procGetClientInfo
	procReleaseReadAccountResult
	procGetReadAccount
	procGetReadAccountError
	procReleaseSignOutResult
	procGetSignOutError
	procReleaseDiscoverAccountsResult
	procGetDiscoverAccountsAt
	procGetDiscoverAccountsError
	procReleaseError
	procGetStatus
	procGetErrorCode
	procGetTag
	procGetContext
	procCount
)

// procNames are the exports the binding resolves, in the order above. A
// test checks each against the real DLL's export table, so that a typo fails
// on every platform rather than at a user's first sign-in on Windows.
var procNames = [procCount]string{
	"MSALRUNTIME_Startup",
	"MSALRUNTIME_CreateAuthParameters",
	"MSALRUNTIME_ReleaseAuthParameters",
	"MSALRUNTIME_SetRequestedScopes",
	"MSALRUNTIME_SetRedirectUri",
	"MSALRUNTIME_SetDecodedClaims",
	"MSALRUNTIME_SetAdditionalParameter",
	"MSALRUNTIME_SignInInteractivelyAsync",
	"MSALRUNTIME_SignInSilentlyAsync",
	"MSALRUNTIME_AcquireTokenSilentlyAsync",
	"MSALRUNTIME_ReadAccountByIdAsync",
	"MSALRUNTIME_SignOutSilentlyAsync",
	"MSALRUNTIME_DiscoverAccountsAsync",
	"MSALRUNTIME_CancelAsyncOperation",
	"MSALRUNTIME_ReleaseAsyncHandle",
	"MSALRUNTIME_ReleaseAuthResult",
	"MSALRUNTIME_GetError",
	"MSALRUNTIME_GetAccessToken",
	"MSALRUNTIME_GetExpiresOn",
	"MSALRUNTIME_GetGrantedScopes",
	"MSALRUNTIME_IsPopAuthorization",
	"MSALRUNTIME_GetAccount",
	"MSALRUNTIME_ReleaseAccount",
	"MSALRUNTIME_GetAccountId",
	"MSALRUNTIME_GetHomeAccountId",
	"MSALRUNTIME_GetEnvironment",
	"MSALRUNTIME_GetRealm",
	"MSALRUNTIME_GetLocalAccountId",
	"MSALRUNTIME_GetUserName",
	"MSALRUNTIME_GetClientInfo",
	"MSALRUNTIME_ReleaseReadAccountResult",
	"MSALRUNTIME_GetReadAccount",
	"MSALRUNTIME_GetReadAccountError",
	"MSALRUNTIME_ReleaseSignOutResult",
	"MSALRUNTIME_GetSignOutError",
	"MSALRUNTIME_ReleaseDiscoverAccountsResult",
	"MSALRUNTIME_GetDiscoverAccountsAt",
	"MSALRUNTIME_GetDiscoverAccountsError",
	"MSALRUNTIME_ReleaseError",
	"MSALRUNTIME_GetStatus",
	"MSALRUNTIME_GetErrorCode",
	"MSALRUNTIME_GetTag",
	"MSALRUNTIME_GetContext",
}
