/*
 * An emulated MSALRuntime for the Windows broker's tests under Wine: the
 * procedures internal/wam resolves, answering as WAM would, with no network.
 * The user at the "dialog" is the account hint: cancel@… cancels, hold@…
 * waits until CancelAsyncOperation, any other name signs in. A device
 * account, os@contoso.com, is known from the start: SignInSilently signs it
 * in. ReadAccountById takes the account ID of GetAccountId, which differs
 * from the object ID here. A token's realm is its authority's tenant when
 * that is a GUID. Every handle is counted; FakeMSALRuntime_LiveHandles,
 * FakeMSALRuntime_Calls and FakeMSALRuntime_LastParams let tests check that
 * none leaks, how many dialogs, cancellations and silent calls there were,
 * and the additional parameters of the last dialog; FakeMSALRuntime_LastAuthority
 * and FakeMSALRuntime_LastClaims give the authority and decoded claims of the
 * last operation of each kind.
 * A request for the scope "ghost" (dialog or silent) is an operation that
 * never calls back, even after CancelAsyncOperation, until the test calls
 * FakeMSALRuntime_FinishGhost; FakeMSALRuntime_Ghost says which of its
 * handles are still live. Handles are never freed, only marked released, so
 * that a release of a released handle is counted (FakeMSALRuntime_DoubleReleases)
 * and a use of one after release is seen.
 * Built by .ci/wine/run with x86_64-w64-mingw32-gcc:
 *     x86_64-w64-mingw32-gcc -shared -O2 -o msalruntime.dll fakeruntime.c
 */
#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <wchar.h>

typedef void *H;
typedef void (*completion)(H result, void *data);

static volatile LONG live, calls[5]; /* 0 interactive, 1 cancel, 2 silent, 3 sign-out, 4 silent sign-in */
static CRITICAL_SECTION mu;
static int started;

typedef struct { int kind; int status; int64_t code; int32_t tag; wchar_t ctx[128]; } err_t;
typedef struct { int kind; wchar_t id[64], oid[64], home[128], user[128], realm[64]; } acct_t;
typedef struct { int kind; err_t *err; acct_t *acct; wchar_t token[512], scopes[256]; int64_t exp; } result_t;
typedef struct { int kind; wchar_t client[64], authority[256], scopes[256], claims[2048], extra[512]; } params_t;
typedef struct { int kind; HANDLE cancel; } async_t;

static volatile LONG doubles;
/* Every handle starts with its kind, which release sets to 0: handles are
 * never freed (a test process makes few), so that a released one is seen. */
static void *alloc(size_t n) { InterlockedIncrement(&live); return calloc(1, n); }
static int isLive(void *h) { return h && *(volatile int *)h != 0; }
static H release(void *h) {
	if (!h) return NULL;
	if (InterlockedExchange((volatile LONG *)h, 0) == 0) InterlockedIncrement(&doubles);
	else InterlockedDecrement(&live);
	return NULL;
}
__declspec(dllexport) LONG FakeMSALRuntime_DoubleReleases(void) { return doubles; }
__declspec(dllexport) LONG FakeMSALRuntime_LiveHandles(void) { return live; }
__declspec(dllexport) LONG FakeMSALRuntime_Calls(int what) { return calls[what]; }
/* The additional parameters of the last dialog, as "key=value;…"; guarded by mu. */
static wchar_t lastExtra[512];
__declspec(dllexport) void FakeMSALRuntime_LastParams(wchar_t *buf, int n) {
	EnterCriticalSection(&mu);
	wcsncpy(buf, lastExtra, n - 1);
	buf[n - 1] = 0;
	LeaveCriticalSection(&mu);
}
/* The authority and decoded claims of the last operation of each kind (an
 * index of calls: 0 dialog, 2 silent, 4 silent sign-in); guarded by mu. */
static wchar_t lastAuthority[5][256], lastClaims[5][2048];
static void record(int what, params_t *p) {
	EnterCriticalSection(&mu);
	wcscpy(lastAuthority[what], p->authority);
	wcscpy(lastClaims[what], p->claims);
	LeaveCriticalSection(&mu);
}
static void copyOut(wchar_t *buf, int n, const wchar_t *s) {
	EnterCriticalSection(&mu);
	wcsncpy(buf, s, n - 1);
	buf[n - 1] = 0;
	LeaveCriticalSection(&mu);
}
__declspec(dllexport) void FakeMSALRuntime_LastAuthority(int what, wchar_t *buf, int n) { copyOut(buf, n, lastAuthority[what]); }
__declspec(dllexport) void FakeMSALRuntime_LastClaims(int what, wchar_t *buf, int n) { copyOut(buf, n, lastClaims[what]); }

static err_t *mkerr(int status, const wchar_t *ctx) {
	err_t *e = alloc(sizeof *e);
	e->kind = 'E'; e->status = status; e->code = 1000 + status; e->tag = 42;
	wcsncpy(e->ctx, ctx, 127);
	return e;
}

/* The accounts signed in, by user name; 0 means signed out. */
#define MAXACCT 64
static wchar_t users[MAXACCT][128]; static int signedIn[MAXACCT], nusers;
static int findUser(const wchar_t *u, int add) {
	int i;
	for (i = 0; i < nusers; i++) if (!_wcsicmp(users[i], u)) break;
	if (i == nusers) { if (!add || nusers == MAXACCT) return -1; wcsncpy(users[nusers++], u, 127); }
	if (add) signedIn[i] = 1;
	return signedIn[i] ? i : -1;
}
static acct_t *mkacct(int i) {
	acct_t *a = alloc(sizeof *a);
	a->kind = 'A';
	swprintf(a->id, 64, L"wam-account-%d", i);
	swprintf(a->oid, 64, L"00000000-0000-0000-0000-%012d", i);
	swprintf(a->home, 128, L"%ls.72f988bf-86f1-41af-91ab-2d7cd011db47", a->oid);
	wcscpy(a->realm, L"72f988bf-86f1-41af-91ab-2d7cd011db47");
	wcsncpy(a->user, users[i], 127);
	return a;
}
static int signedInUser(int i) {
	EnterCriticalSection(&mu);
	if (i < 0 || i >= nusers || !signedIn[i]) i = -1;
	LeaveCriticalSection(&mu);
	return i;
}
static int userOfOid(const wchar_t *oid) {
	int i = -1;
	swscanf(oid, L"00000000-0000-0000-0000-%d", &i);
	return signedInUser(i);
}
static int userOfId(const wchar_t *id) {
	int i = -1;
	if (swscanf(id, L"wam-account-%d", &i) != 1) return -1;
	return signedInUser(i);
}

__declspec(dllexport) H MSALRUNTIME_Startup(void) {
	InitializeCriticalSection(&mu);
	findUser(L"os@contoso.com", 1);
	started++;
	return NULL;
}
__declspec(dllexport) int MSALRUNTIME_ReleaseError(H e) { release(e); return 1; }
__declspec(dllexport) H MSALRUNTIME_GetStatus(err_t *e, int *s) { *s = e->status; return NULL; }
__declspec(dllexport) H MSALRUNTIME_GetErrorCode(err_t *e, int64_t *c) { *c = e->code; return NULL; }
__declspec(dllexport) H MSALRUNTIME_GetTag(err_t *e, int32_t *t) { *t = e->tag; return NULL; }

/* The two-call protocol: too small a buffer sets *size and fails. */
static H str(const wchar_t *s, wchar_t *buf, int32_t *size) {
	int32_t n = (int32_t)wcslen(s) + 1;
	if (!buf || *size < n) { *size = n; return mkerr(10, L"InsufficientBuffer"); }
	wcscpy(buf, s); *size = n;
	return NULL;
}
__declspec(dllexport) H MSALRUNTIME_GetContext(err_t *e, wchar_t *b, int32_t *n) { return str(e->ctx, b, n); }

__declspec(dllexport) H MSALRUNTIME_CreateAuthParameters(const wchar_t *client, const wchar_t *authority, params_t **p) {
	*p = alloc(sizeof **p); (*p)->kind = 'P'; wcsncpy((*p)->client, client, 63);
	wcsncpy((*p)->authority, authority, 255);
	return NULL;
}
__declspec(dllexport) H MSALRUNTIME_ReleaseAuthParameters(H p) { release(p); return NULL; }
__declspec(dllexport) H MSALRUNTIME_SetRequestedScopes(params_t *p, const wchar_t *s) { wcsncpy(p->scopes, s, 255); return NULL; }
__declspec(dllexport) H MSALRUNTIME_SetRedirectUri(params_t *p, const wchar_t *u) {
	wchar_t want[128];
	swprintf(want, 128, L"ms-appx-web://Microsoft.AAD.BrokerPlugin/%ls", p->client);
	return wcscmp(u, want) ? mkerr(9, L"wrong redirect URI") : NULL;
}
__declspec(dllexport) H MSALRUNTIME_SetDecodedClaims(params_t *p, const wchar_t *c) { wcsncpy(p->claims, c, 2047); return NULL; }
__declspec(dllexport) H MSALRUNTIME_SetAdditionalParameter(params_t *p, const wchar_t *k, const wchar_t *v) {
	size_t n = wcslen(p->extra);
	_snwprintf(p->extra + n, 511 - n, L"%ls%ls=%ls", n ? L";" : L"", k, v);
	return NULL;
}

/* The one ghost operation at a time: its handles, and the event that ends it. */
static struct { params_t *params; acct_t *acct; async_t *async; HANDLE finish; int cancelled, usedReleased; } ghost;

/* An operation runs on a thread of its own, as MSALRuntime's do. hold 1
 * waits for its cancellation; 2 is the ghost, which then waits for the
 * test, and uses its auth parameters and account before calling back. */
typedef struct { completion cb; void *data; async_t *async; H result; int hold; } op_t;
static DWORD WINAPI run(void *arg) {
	op_t *op = arg;
	if (op->hold) {
		WaitForSingleObject(op->async->cancel, INFINITE);
		((result_t *)op->result)->err = mkerr(8, L"the application cancelled the operation");
	}
	if (op->hold == 2) {
		EnterCriticalSection(&mu);
		ghost.cancelled = 1;
		LeaveCriticalSection(&mu);
		WaitForSingleObject(ghost.finish, INFINITE);
		EnterCriticalSection(&mu);
		ghost.usedReleased = !isLive(ghost.params) || (ghost.acct && !isLive(ghost.acct)) || !isLive(ghost.async);
		LeaveCriticalSection(&mu);
	}
	op->cb(op->result, op->data);
	free(op);
	return 0;
}
static H start(completion cb, void *data, async_t **ah, H result, int hold) {
	op_t *op = calloc(1, sizeof *op);
	async_t *a = alloc(sizeof *a);
	a->kind = 'H'; a->cancel = CreateEventW(NULL, TRUE, FALSE, NULL);
	*ah = a;
	op->cb = cb; op->data = data; op->async = a; op->result = result; op->hold = hold;
	CloseHandle(CreateThread(NULL, 0, run, op, 0, NULL));
	return NULL;
}
static int isGhost(params_t *p) { return !wcscmp(p->scopes, L"ghost"); }
/* Starts the ghost with p (and a, for a silent request). */
static H startGhost(params_t *p, acct_t *a, completion cb, void *data, async_t **ah) {
	result_t *r = alloc(sizeof *r);
	H e;
	r->kind = 'R';
	EnterCriticalSection(&mu);
	if (!ghost.finish) ghost.finish = CreateEventW(NULL, TRUE, FALSE, NULL);
	ResetEvent(ghost.finish);
	ghost.params = p; ghost.acct = a; ghost.cancelled = ghost.usedReleased = 0;
	LeaveCriticalSection(&mu);
	e = start(cb, data, ah, r, 2);
	EnterCriticalSection(&mu);
	ghost.async = *ah;
	LeaveCriticalSection(&mu);
	return e;
}
/* Which of the ghost's handles are live: 1 its auth parameters, 2 its
 * account, 4 its async handle; 8 once it was cancelled, 16 if it found one
 * released when it called back. */
__declspec(dllexport) LONG FakeMSALRuntime_Ghost(void) {
	LONG r;
	EnterCriticalSection(&mu);
	r = (isLive(ghost.params) ? 1 : 0) | (isLive(ghost.acct) ? 2 : 0) | (isLive(ghost.async) ? 4 : 0) |
		(ghost.cancelled ? 8 : 0) | (ghost.usedReleased ? 16 : 0);
	LeaveCriticalSection(&mu);
	return r;
}
/* Lets the ghost call back, at last. */
__declspec(dllexport) void FakeMSALRuntime_FinishGhost(void) { SetEvent(ghost.finish); }
__declspec(dllexport) H MSALRUNTIME_CancelAsyncOperation(async_t *a) { InterlockedIncrement(&calls[1]); SetEvent(a->cancel); return NULL; }
__declspec(dllexport) H MSALRUNTIME_ReleaseAsyncHandle(async_t *a) { if (isLive(a)) CloseHandle(a->cancel); release(a); return NULL; }

static result_t *token(params_t *p, int user) {
	result_t *r = alloc(sizeof *r);
	r->kind = 'R';
	EnterCriticalSection(&mu);
	r->acct = mkacct(user);
	LeaveCriticalSection(&mu);
	{ /* the authority's tenant, when a GUID, is the token's realm */
		const wchar_t *t = wcsrchr(p->authority, L'/');
		if (t && wcslen(t + 1) == 36) wcscpy(r->acct->realm, t + 1);
	}
	swprintf(r->token, 512, L"fake-token:%ls:%ls", r->acct->user, p->scopes);
	wcsncpy(r->scopes, p->scopes, 255);
	r->exp = (int64_t)time(NULL) + 3600;
	return r;
}
__declspec(dllexport) H MSALRUNTIME_SignInInteractivelyAsync(H hwnd, params_t *p, const wchar_t *corr, const wchar_t *hint, completion cb, void *data, async_t **ah) {
	result_t *r;
	int u;
	InterlockedIncrement(&calls[0]);
	EnterCriticalSection(&mu);
	wcscpy(lastExtra, p->extra);
	LeaveCriticalSection(&mu);
	record(0, p);
	if (isGhost(p)) return startGhost(p, NULL, cb, data, ah);
	if (!_wcsnicmp(hint, L"cancel@", 7) || !_wcsnicmp(hint, L"hold@", 5)) {
		r = alloc(sizeof *r); r->kind = 'R';
		if (hint[0] == L'c' || hint[0] == L'C') r->err = mkerr(7, L"the user cancelled the sign-in");
		return start(cb, data, ah, r, hint[0] == L'h' || hint[0] == L'H');
	}
	EnterCriticalSection(&mu);
	u = findUser(*hint ? hint : L"user@contoso.com", 1);
	LeaveCriticalSection(&mu);
	return start(cb, data, ah, token(p, u), 0);
}
/* The device's account, os@contoso.com (user 0), if it is signed in. */
__declspec(dllexport) H MSALRUNTIME_SignInSilentlyAsync(params_t *p, const wchar_t *corr, completion cb, void *data, async_t **ah) {
	result_t *r;
	InterlockedIncrement(&calls[4]);
	record(4, p);
	if (signedInUser(0) == 0) return start(cb, data, ah, token(p, 0), 0);
	r = alloc(sizeof *r); r->kind = 'R'; r->err = mkerr(2, L"interaction required");
	return start(cb, data, ah, r, 0);
}
__declspec(dllexport) H MSALRUNTIME_AcquireTokenSilentlyAsync(params_t *p, const wchar_t *corr, acct_t *a, completion cb, void *data, async_t **ah) {
	int u = userOfOid(a->oid);
	result_t *r;
	InterlockedIncrement(&calls[2]);
	record(2, p);
	if (isGhost(p)) return startGhost(p, a, cb, data, ah);
	if (u >= 0) return start(cb, data, ah, token(p, u), 0);
	r = alloc(sizeof *r); r->kind = 'R'; r->err = mkerr(2, L"interaction required");
	return start(cb, data, ah, r, 0);
}
__declspec(dllexport) H MSALRUNTIME_ReleaseAuthResult(result_t *r) {
	if (r) { release(r->err); release(r->acct); }
	release(r);
	return NULL;
}
__declspec(dllexport) H MSALRUNTIME_GetError(result_t *r, err_t **e) {
	/* A copy: the caller releases it, and the result still owns its own. */
	*e = r->err ? mkerr(r->err->status, r->err->ctx) : NULL;
	return NULL;
}
__declspec(dllexport) H MSALRUNTIME_GetAccessToken(result_t *r, wchar_t *b, int32_t *n) { return str(r->token, b, n); }
__declspec(dllexport) H MSALRUNTIME_GetGrantedScopes(result_t *r, wchar_t *b, int32_t *n) { return str(r->scopes, b, n); }
__declspec(dllexport) H MSALRUNTIME_GetExpiresOn(result_t *r, int64_t *t) { *t = r->exp; return NULL; }
__declspec(dllexport) H MSALRUNTIME_IsPopAuthorization(result_t *r, int *pop) { *pop = 0; return NULL; }
static acct_t *copyacct(acct_t *a) { acct_t *c = alloc(sizeof *c); *c = *a; return c; }
__declspec(dllexport) H MSALRUNTIME_GetAccount(result_t *r, acct_t **a) { *a = r->acct ? copyacct(r->acct) : NULL; return NULL; }
__declspec(dllexport) H MSALRUNTIME_ReleaseAccount(H a) { release(a); return NULL; }
__declspec(dllexport) H MSALRUNTIME_GetAccountId(acct_t *a, wchar_t *b, int32_t *n) { return str(a->id, b, n); }
__declspec(dllexport) H MSALRUNTIME_GetHomeAccountId(acct_t *a, wchar_t *b, int32_t *n) { return str(a->home, b, n); }
__declspec(dllexport) H MSALRUNTIME_GetEnvironment(acct_t *a, wchar_t *b, int32_t *n) { return str(L"login.microsoftonline.com", b, n); }
__declspec(dllexport) H MSALRUNTIME_GetRealm(acct_t *a, wchar_t *b, int32_t *n) { return str(a->realm, b, n); }
__declspec(dllexport) H MSALRUNTIME_GetLocalAccountId(acct_t *a, wchar_t *b, int32_t *n) { return str(a->oid, b, n); }
__declspec(dllexport) H MSALRUNTIME_GetUserName(acct_t *a, wchar_t *b, int32_t *n) { return str(a->user, b, n); }
__declspec(dllexport) H MSALRUNTIME_GetClientInfo(acct_t *a, wchar_t *b, int32_t *n) { return str(L"", b, n); }

/* ReadAccountById, SignOut and DiscoverAccounts results. */
typedef struct { int kind; err_t *err; acct_t *acct[MAXACCT]; int n; } other_t;
static other_t *other(void) { other_t *o = alloc(sizeof *o); o->kind = 'O'; return o; }
__declspec(dllexport) H MSALRUNTIME_ReadAccountByIdAsync(const wchar_t *id, const wchar_t *corr, completion cb, void *data, async_t **ah) {
	other_t *o = other();
	int u = userOfId(id);
	if (u < 0) o->err = mkerr(16, L"account not found");
	else { EnterCriticalSection(&mu); o->acct[0] = mkacct(u); LeaveCriticalSection(&mu); o->n = 1; }
	return start(cb, data, ah, o, 0);
}
__declspec(dllexport) H MSALRUNTIME_SignOutSilentlyAsync(const wchar_t *client, const wchar_t *corr, acct_t *a, completion cb, void *data, async_t **ah) {
	int u = userOfOid(a->oid);
	InterlockedIncrement(&calls[3]);
	EnterCriticalSection(&mu);
	if (u >= 0) signedIn[u] = 0;
	LeaveCriticalSection(&mu);
	return start(cb, data, ah, other(), 0);
}
__declspec(dllexport) H MSALRUNTIME_DiscoverAccountsAsync(const wchar_t *client, const wchar_t *corr, completion cb, void *data, async_t **ah) {
	other_t *o = other();
	int i;
	EnterCriticalSection(&mu);
	for (i = 0; i < nusers; i++) if (signedIn[i]) o->acct[o->n++] = mkacct(i);
	LeaveCriticalSection(&mu);
	return start(cb, data, ah, o, 0);
}
static H releaseOther(other_t *o) {
	int i;
	if (!o) return NULL;
	release(o->err);
	for (i = 0; i < o->n; i++) release(o->acct[i]);
	release(o);
	return NULL;
}
static H otherErr(other_t *o, err_t **e) { *e = o->err ? mkerr(o->err->status, o->err->ctx) : NULL; return NULL; }
__declspec(dllexport) H MSALRUNTIME_ReleaseReadAccountResult(other_t *o) { return releaseOther(o); }
__declspec(dllexport) H MSALRUNTIME_ReleaseSignOutResult(other_t *o) { return releaseOther(o); }
__declspec(dllexport) H MSALRUNTIME_ReleaseDiscoverAccountsResult(other_t *o) { return releaseOther(o); }
__declspec(dllexport) H MSALRUNTIME_GetReadAccountError(other_t *o, err_t **e) { return otherErr(o, e); }
__declspec(dllexport) H MSALRUNTIME_GetSignOutError(other_t *o, err_t **e) { return otherErr(o, e); }
__declspec(dllexport) H MSALRUNTIME_GetDiscoverAccountsError(other_t *o, err_t **e) { return otherErr(o, e); }
__declspec(dllexport) H MSALRUNTIME_GetReadAccount(other_t *o, acct_t **a) { *a = o->n ? copyacct(o->acct[0]) : NULL; return NULL; }
__declspec(dllexport) H MSALRUNTIME_GetDiscoverAccountsAt(other_t *o, int32_t i, acct_t **a) {
	if (i < 0 || i >= o->n) { *a = NULL; return mkerr(6, L"index out of range"); }
	*a = copyacct(o->acct[i]);
	return NULL;
}
