"""Writes python_plaintext_cache.json: one sign-in as Python's msal (msal/token_cache.py,
TokenCache.__add and SerializableTokenCache.serialize) persists it with azure-identity's
allow_unencrypted_storage fallback (FilePersistence, ~/.IdentityService/msal.cache.nocae).
Keys, field order, string times, the RT key's trailing target and json.dumps(indent=4) are
msal's. Tokens are fakes; the access token expires in 2100 so MSAL serves it silently.

Run: python3 gen_python_plaintext_cache.py
"""
import base64
import json


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")


tenant = "7d3f4ad1-6b4e-4c0a-9f1e-2b8c5d9a0e11"
uid = "5c8d7e21-3f0a-4b6d-8e9c-1a2b3c4d5e6f"
client = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"  # azure-identity's default (developer sign-on) client
env = "login.microsoftonline.com"
hid = uid + "." + tenant
target = "https://management.azure.com/.default https://management.azure.com/user_impersonation"
idt = b64({"typ": "JWT", "alg": "RS256", "kid": "golden-test-key"}) + "." + b64({
    "aud": client, "iss": "https://login.microsoftonline.com/%s/v2.0" % tenant, "iat": 1732550400,
    "nbf": 1732550400, "exp": 1732554300, "name": "Alice Example", "oid": uid,
    "preferred_username": "alice@contoso.com", "rh": "0.golden", "sub": "golden-subject", "tid": tenant,
    "uti": "golden-uti", "ver": "2.0"}) + ".Z29sZGVuLXRlc3Qtc2lnbmF0dXJlLW5vdC1yZWFs"

cache = {}


def modify(section, key, entry):
    cache.setdefault(section, {})[key.lower()] = entry


# In the order TokenCache.__add writes them.
modify("AccessToken", "-".join([hid, env, "AccessToken", client, tenant, target]), {
    "credential_type": "AccessToken", "secret": "python-golden-access-token-4f1c", "home_account_id": hid,
    "environment": env, "client_id": client, "target": target, "realm": tenant, "token_type": "Bearer",
    "cached_at": "1732550400", "expires_on": "4102444800", "extended_expires_on": "4102444800"})
modify("Account", "-".join([hid, env, tenant]), {
    "home_account_id": hid, "environment": env, "realm": tenant, "local_account_id": uid,
    "username": "alice@contoso.com", "authority_type": "MSSTS", "account_source": "authorization_code"})
modify("IdToken", "-".join([hid, env, "IdToken", client, tenant, ""]), {
    "credential_type": "IdToken", "secret": idt, "home_account_id": hid, "environment": env, "realm": tenant,
    "client_id": client})
modify("RefreshToken", "-".join([hid, env, "RefreshToken", client, "", target]), {
    "credential_type": "RefreshToken", "secret": "python-golden-refresh-token-9a2e", "home_account_id": hid,
    "environment": env, "client_id": client, "target": target, "last_modification_time": "1732550400",
    "family_id": "1"})
modify("AppMetadata", "appmetadata-%s-%s" % (env, client), {"client_id": client, "environment": env, "family_id": "1"})

with open("python_plaintext_cache.json", "w") as f:
    f.write(json.dumps(cache, indent=4))
