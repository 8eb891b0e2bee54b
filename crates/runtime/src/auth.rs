//! Bearer tokens and roles.
//!
//! A token is a JWT signed with HS256 under a deployment key (a file of 32
//! random bytes, hex, created once). Its claims: `sub` (who: it becomes the
//! actor in every event), `roles`, `iat`, `exp`. Each service declares an
//! [`AccessTable`]: which roles may call which method; a method missing from
//! the table is refused to everyone.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::secret::{self, KeyError};

/// Clock difference tolerated between the minting and the checking machine.
const LEEWAY_SECS: u64 = 30;
/// The longest-lived token `mint` will make.
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<String>,
    pub iat: u64,
    pub exp: u64,
    /// For a partner's token: the bank or platform it speaks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
}

/// Who is calling, once the token checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub roles: Vec<String>,
    /// The partner institution the token speaks for, if any.
    pub institution: Option<String>,
}

/// Why a call was refused. Maps to gRPC UNAUTHENTICATED / PERMISSION_DENIED
/// and HTTP 401 / 403. Holds no part of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("permission denied: {method} needs one of the roles {allowed:?}")]
    PermissionDenied {
        method: String,
        allowed: Vec<&'static str>,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MintError {
    #[error("invalid sub: {0}")]
    Subject(&'static str),
    #[error("invalid role {0:?}: lower-case letters, digits and '-' expected")]
    Role(String),
    #[error("invalid institution: 2 to 32 of a-z, 0-9, '-' expected")]
    Institution,
    #[error("invalid ttl: between 1 second and {} days expected", MAX_TTL.as_secs() / 86_400)]
    Ttl,
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Attaches `token` to an outgoing call as `authorization: Bearer <token>`,
/// what [`TokenKeys::verify`] reads on the other side. Fails only for a
/// token that cannot be a header value (a minted one always can).
pub fn attach_bearer<T>(
    request: &mut tonic::Request<T>,
    token: &str,
) -> Result<(), tonic::metadata::errors::InvalidMetadataValue> {
    let value = format!("Bearer {token}").parse()?;
    request.metadata_mut().insert("authorization", value);
    Ok(())
}

/// The deployment's signing key.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Reads the key in `path` (hex, see [`crate::secret`]).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        Ok(Self::from_secret(&secret::load(path, "JWT key")?))
    }

    /// Reads the key in `path`, first creating it (readable by its owner
    /// only) if there is none. Returns whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyError> {
        let (key, created) = secret::load_or_create(path, "JWT key")?;
        Ok((Self::from_secret(&key), created))
    }

    /// A token for `subject` with `roles`, valid for `ttl` from now.
    pub fn mint(
        &self,
        subject: &str,
        roles: &[String],
        ttl: Duration,
    ) -> Result<String, MintError> {
        self.mint_for(subject, roles, None, ttl)
    }

    /// `message` as a caller `subject` holding `role` (for `institution`,
    /// if a partner) would send it: a token minted for ten minutes and
    /// attached. What tests and the load generator call the mesh with.
    pub fn request_as<T>(
        &self,
        subject: &str,
        role: &str,
        institution: Option<&str>,
        message: T,
    ) -> Result<tonic::Request<T>, MintError> {
        let token = self.mint_for(
            subject,
            &[role.to_owned()],
            institution,
            Duration::from_secs(600),
        )?;
        let mut request = tonic::Request::new(message);
        attach_bearer(&mut request, &token)
            .map_err(|_| MintError::Signing("the token is not a header value".to_owned()))?;
        Ok(request)
    }

    /// A token that also names the partner institution it speaks for.
    pub fn mint_for(
        &self,
        subject: &str,
        roles: &[String],
        institution: Option<&str>,
        ttl: Duration,
    ) -> Result<String, MintError> {
        if let Some(code) = institution
            && !((2..=32).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            return Err(MintError::Institution);
        }
        if subject.is_empty() || subject.len() > 128 {
            return Err(MintError::Subject("1-128 characters expected"));
        }
        if !subject.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(MintError::Subject(
                "printable ASCII without spaces expected",
            ));
        }
        if let Some(bad) = roles.iter().find(|r| !is_role(r)) {
            return Err(MintError::Role(bad.clone()));
        }
        if ttl < Duration::from_secs(1) || ttl > MAX_TTL {
            return Err(MintError::Ttl);
        }
        let now = unix_now();
        let claims = Claims {
            sub: subject.to_owned(),
            roles: roles.to_vec(),
            iat: now,
            exp: now + ttl.as_secs(),
            institution: institution.map(str::to_owned),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| MintError::Signing(e.to_string()))
    }

    /// Checks an `authorization` header value (`Bearer <token>`).
    pub fn verify(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        let header = authorization.ok_or(AuthError::Unauthenticated("no bearer token"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::Unauthenticated(
                "authorization is not a bearer token",
            ))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &validation)
            .map_err(|e| {
                AuthError::Unauthenticated(match e.kind() {
                    ErrorKind::ExpiredSignature => "token expired",
                    ErrorKind::InvalidSignature => "token signature does not verify",
                    ErrorKind::InvalidAlgorithm => "token is not signed with HS256",
                    _ => "malformed token",
                })
            })?;
        Ok(Caller {
            subject: data.claims.sub,
            roles: data.claims.roles,
            institution: data.claims.institution,
        })
    }
}

fn is_role(role: &str) -> bool {
    !role.is_empty()
        && role.len() <= 64
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Which roles may call which method (a gRPC path such as
/// `/minsheng.vehicle.v1.Vehicles/RegisterBike`). Deny by default.
#[derive(Clone, Debug, Default)]
pub struct AccessTable {
    allowed: HashMap<String, Vec<&'static str>>,
}

impl AccessTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `roles` call `method`.
    pub fn allow(mut self, method: &str, roles: &[&'static str]) -> Self {
        self.allowed
            .entry(method.to_owned())
            .or_default()
            .extend_from_slice(roles);
        self
    }

    /// Every method the table names.
    pub fn methods(&self) -> impl Iterator<Item = String> + '_ {
        self.allowed.keys().cloned()
    }

    /// Whether `caller` may call `method`.
    pub fn check(&self, method: &str, caller: &Caller) -> Result<(), AuthError> {
        let allowed = self
            .allowed
            .get(method)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if caller
            .roles
            .iter()
            .any(|role| allowed.contains(&role.as_str()))
        {
            Ok(())
        } else {
            Err(AuthError::PermissionDenied {
                method: method.to_owned(),
                allowed: allowed.to_vec(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef")
    }

    fn bearer(token: &str) -> String {
        format!("Bearer {token}")
    }

    const REGISTER: &str = "/minsheng.vehicle.v1.Vehicles/RegisterBike";

    #[test]
    #[allow(clippy::unwrap_used)]
    fn an_attached_token_is_what_verify_reads() {
        let token = keys()
            .mint(
                "officer-7",
                &["officer".to_owned()],
                Duration::from_secs(60),
            )
            .unwrap();
        let mut request = tonic::Request::new(());
        attach_bearer(&mut request, &token).unwrap();
        let header = request
            .metadata()
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(keys().verify(Some(header)).unwrap().subject, "officer-7");
        assert!(attach_bearer(&mut request, "a\nline break").is_err());
    }

    fn table() -> AccessTable {
        AccessTable::new().allow(REGISTER, &["registration-clerk"])
    }

    #[test]
    fn a_clerk_with_a_fresh_token_may_register_a_bike() {
        let token = keys()
            .mint(
                "clerk-3",
                &["registration-clerk".into()],
                Duration::from_secs(3600),
            )
            .expect("mints");
        let caller = keys().verify(Some(&bearer(&token))).expect("verifies");
        assert_eq!(caller.subject, "clerk-3");
        assert_eq!(table().check(REGISTER, &caller), Ok(()));
    }

    #[test]
    fn an_officer_may_not_register_a_bike() {
        let token = keys()
            .mint("officer-1", &["officer".into()], Duration::from_secs(60))
            .expect("mints");
        let caller = keys().verify(Some(&bearer(&token))).expect("verifies");
        assert!(matches!(
            table().check(REGISTER, &caller),
            Err(AuthError::PermissionDenied { .. })
        ));
        assert!(matches!(
            table().check("/minsheng.vehicle.v1.Vehicles/Unlisted", &caller),
            Err(AuthError::PermissionDenied { .. })
        ));
    }

    #[test]
    fn missing_malformed_expired_and_forged_tokens_are_unauthenticated() {
        let refuse = |header: Option<&str>| match keys().verify(header) {
            Err(AuthError::Unauthenticated(reason)) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(refuse(None), "no bearer token");
        assert_eq!(
            refuse(Some("Basic YWxhZGRpbjpvcGVuc2VzYW1l")),
            "authorization is not a bearer token"
        );
        assert_eq!(refuse(Some("Bearer not.a.jwt")), "malformed token");

        let now = unix_now();
        let stale = Claims {
            sub: "x".into(),
            roles: vec![],
            iat: now - 7200,
            exp: now - 3600,
            institution: None,
        };
        let expired =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &stale, &keys().encoding)
                .expect("signs");
        assert_eq!(refuse(Some(&bearer(&expired))), "token expired");

        let other = TokenKeys::from_secret(b"another key, another deployment!!");
        let forged = other
            .mint("x", &["officer".into()], Duration::from_secs(60))
            .expect("mints");
        assert_eq!(
            refuse(Some(&bearer(&forged))),
            "token signature does not verify"
        );
    }

    #[test]
    fn minting_refuses_bad_subjects_roles_and_lifetimes() {
        let k = keys();
        let hour = Duration::from_secs(3600);
        assert!(matches!(k.mint("", &[], hour), Err(MintError::Subject(_))));
        assert!(matches!(
            k.mint("a b", &[], hour),
            Err(MintError::Subject(_))
        ));
        assert_eq!(
            k.mint("a", &["Officer".into()], hour),
            Err(MintError::Role("Officer".into()))
        );
        assert_eq!(k.mint("a", &[], Duration::ZERO), Err(MintError::Ttl));
        // 30 days, as documented, rather than the code's constant.
        let thirty_days = Duration::from_secs(30 * 24 * 3600);
        assert!(k.mint("a", &[], thirty_days).is_ok());
        assert_eq!(k.mint("a", &[], thirty_days + hour), Err(MintError::Ttl));
    }

    #[test]
    fn a_key_file_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys").join("jwt.key");
        let (first, created) = TokenKeys::load_or_create(&path).expect("creates");
        assert!(created);
        let (second, created_again) = TokenKeys::load_or_create(&path).expect("loads");
        assert!(!created_again);
        let token = first
            .mint("a", &[], Duration::from_secs(60))
            .expect("mints");
        assert!(second.verify(Some(&bearer(&token))).is_ok(), "the same key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "zz").expect("writes");
        assert!(matches!(
            TokenKeys::load(&path),
            Err(KeyError::Malformed { .. })
        ));
    }
}
