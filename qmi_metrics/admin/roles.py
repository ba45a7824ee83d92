"""Who may do what. Four roles: reader, commune editor (its communes, by INSEE code), programme manager (every
commune), administrator (also rollback and access).

Declared in .streamlit/secrets.toml (README, « Managers' data: import, versions, access »):

    [admin]
    password_hash = "$argon2id$…"        # the password account « admin »: administrator
    emails = ["dsi@example.org"]         # OIDC e-mails: administrators

    [roles]                              # OIDC e-mails (st.user.email), any case
    "cheffe@parisandco.paris" = { role = "programme_manager" }
    "agent@ville-bondy.fr" = { role = "commune_editor", scope = ["93010"] }

    [accounts.bondy]                     # a password account: its name, its hash, its role
    password_hash = "$argon2id$…"
    role = "commune_editor"
    scope = ["93010"]

An identity's role is looked up here on every page run and every command, from who signed in (st.user's
e-mail, or the password account the session proved) or who the command says it acts as: never kept in the
session or the URL, so nothing a client sends can raise it. When nobody is declared at all (no [roles], no
[admin] emails), any OIDC user administers, as before roles existed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from qmi_metrics.store import db, settings

READER, COMMUNE_EDITOR, PROGRAMME_MANAGER, ADMINISTRATOR = "reader", "commune_editor", "programme_manager", \
    "administrator"
ROLES = (READER, COMMUNE_EDITOR, PROGRAMME_MANAGER, ADMINISTRATOR)
ADMIN_ACCOUNT = "admin"   # the password account of [admin] password_hash
INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
IN_SECRETS = " (.streamlit/secrets.toml)"


@dataclass(frozen=True)
class Identity:
    """Someone signed in (or a command acting as them): the name the audit log writes, the role, and for a commune
    editor its communes (INSEE codes); scope None means every commune."""

    name: str
    role: str
    scope: frozenset[str] | None = None

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}: one of {', '.join(ROLES)}")
        if (self.role == COMMUNE_EDITOR) != (self.scope is not None) or (self.scope is not None and not self.scope):
            raise ValueError("a commune editor, and only one, has a scope of at least one INSEE code")

    @property
    def may_import(self) -> bool:
        return self.role != READER

    @property
    def may_roll_back(self) -> bool:
        """A rollback puts back a whole file, every commune's rows with it: the administrator's alone."""
        return self.role == ADMINISTRATOR

    @property
    def may_see_access(self) -> bool:
        return self.role == ADMINISTRATOR


@dataclass(frozen=True)
class Grant:
    role: str
    scope: frozenset[str] | None = None


@dataclass(frozen=True)
class Declared:
    """Every role the secrets declare: by OIDC e-mail (lower case) and by password account."""

    emails: Mapping[str, Grant]
    accounts: Mapping[str, tuple[str, Grant]]   # account -> (password hash, grant)

    def for_email(self, email: str, name: str | None = None) -> Identity:
        """An OIDC user: the declared role, else reader, else (nobody declared at all) administrator."""
        email = (email or "").strip().lower()
        grant = self.emails.get(email)
        if grant is None:
            grant = Grant(READER) if self.emails else Grant(ADMINISTRATOR)
        return Identity(name or email, grant.role, grant.scope)

    def for_account(self, account: str) -> Identity | None:
        """A password account, None when it is not (or no longer) declared."""
        found = self.accounts.get(account)
        return None if found is None else Identity(account, found[1].role, found[1].scope)

    def password_hash(self, account: str) -> str | None:
        found = self.accounts.get(account)
        return None if found is None else found[0]

    def resolve(self, who: str) -> Identity | None:
        """An e-mail (it has an @) or a password account, as the command line's --as names them."""
        if "@" in who:
            return self.for_email(who) if who.strip().lower() in self.emails else None
        return self.for_account(who)

    def table(self) -> list[dict]:
        """Who has which role, for the administrator: e-mails then accounts, never a hash."""
        rows = [{"who": email, "sign_in": "oidc", "role": grant.role, "scope": _shown(grant.scope)}
                for email, grant in sorted(self.emails.items())]
        rows += [{"who": account, "sign_in": "password", "role": grant.role, "scope": _shown(grant.scope)}
                 for account, (_, grant) in sorted(self.accounts.items())]
        return rows


def _shown(scope: frozenset[str] | None) -> str | None:
    return None if scope is None else ", ".join(sorted(scope))


def declared(secrets: Mapping | None) -> Declared:
    """The roles of the secrets (the dashboard's st.secrets or the command line's secrets.toml); a declaration not
    understood is a SettingError (the dashboard then stays closed, the command exits 2)."""
    emails: dict[str, Grant] = {}
    accounts: dict[str, tuple[str, Grant]] = {}
    for email in settings.value("admin.emails", secrets):
        emails[email.strip().lower()] = Grant(ADMINISTRATOR)
    for email, entry in (settings.value("roles", secrets) or {}).items():
        key = str(email).strip().lower()
        where = f"[roles] « {email} »{IN_SECRETS}"
        if "@" not in key:
            raise _error(where, "une adresse e-mail (la connexion OIDC) ; un compte à mot de passe se déclare dans"
                         " [accounts.NOM]", "an e-mail address (OIDC sign-in); a password account goes in"
                         " [accounts.NAME]")
        if key in emails:
            raise _error(where, "une seule déclaration par adresse (elle figure déjà dans [admin] emails ou"
                         " [roles])", "one declaration per address (it is already in [admin] emails or [roles])")
        emails[key] = _grant(entry, where)
    admin_hash = settings.value("admin.password_hash", secrets)
    if admin_hash:
        accounts[ADMIN_ACCOUNT] = (admin_hash, Grant(ADMINISTRATOR))
    for account, entry in (settings.value("accounts", secrets) or {}).items():
        where = f"[accounts.{account}]{IN_SECRETS}"
        if account in accounts:
            raise _error(where, "un autre nom de compte : « admin » est celui de [admin] password_hash",
                         "another account name: « admin » is that of [admin] password_hash")
        password_hash = entry.get("password_hash") if isinstance(entry, Mapping) else None
        if not isinstance(password_hash, str) or not password_hash.strip():
            raise _error(where, "password_hash = \"…\" (python -m qmi_metrics hash-password)",
                         "password_hash = \"…\" (python -m qmi_metrics hash-password)")
        accounts[str(account)] = (password_hash.strip(), _grant(entry, where))
    return Declared(emails, accounts)


def _grant(entry, where: str) -> Grant:
    if not isinstance(entry, Mapping) or entry.get("role") not in ROLES:
        raise _error(where, f"role = l'un de {', '.join(ROLES)}", f"role = one of {', '.join(ROLES)}")
    role, scope = entry["role"], entry.get("scope")
    if role != COMMUNE_EDITOR:
        if scope is not None:
            raise _error(where, "pas de scope : seul un commune_editor est limité à des communes",
                         "no scope: only a commune_editor is limited to communes")
        return Grant(role)
    return Grant(role, parse_scope(scope, where))


def parse_scope(scope, where: str = "--scope") -> frozenset[str]:
    """A commune editor's communes: a list of INSEE codes (or one text « 93066,93070 »), at least one."""
    items = scope.split(",") if isinstance(scope, str) else scope
    codes = [str(code).strip().upper() for code in items] if isinstance(items, (list, tuple)) else []
    if not codes or not all(INSEE.match(code) for code in codes):
        raise _error(where, "scope = la liste des codes INSEE de ses communes, p. ex. [\"93066\", \"93070\"]",
                     "scope = the list of its communes' INSEE codes, e.g. [\"93066\", \"93070\"]")
    return frozenset(codes)


def _error(where: str, expected_fr: str, expected_en: str) -> settings.SettingError:
    return settings.SettingError(f"{where} : attendu {expected_fr}", f"{where}: expected {expected_en}")


def commune_names(con, codes) -> str:
    """« 93066 (Saint-Denis), 93070 (Saint-Ouen-sur-Seine) »: a scope as people read it."""
    names = dict(db.fetch_columns_where_in(con, "communes", ("insee", "name"), "insee", sorted(codes)))
    return ", ".join(f"{code} ({names[code]})" if code in names else code for code in sorted(codes))


def sees_entry(identity: Identity, communes) -> bool:
    """Whether a version of the history is this identity's to see: every one for a programme-wide role; for a
    commune editor, only the imports whose every row was of its communes (`communes`: the INSEE codes an import
    touched, None for one of the whole programme or from before roles were recorded)."""
    if identity.scope is None:
        return True
    return bool(communes) and set(communes) <= identity.scope
