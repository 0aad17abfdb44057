"""The main menu: pages grouped by what the user is doing (Inbox · Act · Measure · Listen · Loop · Admin).

Each page names its ``active`` key; the top bar links the groups and a second row lists the pages of the
current group. A link is shown only to the roles that may open its page, so an agent or a viewer never
meets a page that answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from voxpop.store.models import Role, User

EVERYONE = frozenset(role.value for role in Role)
WRITERS = EVERYONE - {Role.viewer.value}
MANAGERS = frozenset({Role.admin.value, Role.manager.value})
ADMINS = frozenset({Role.admin.value})


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    keys: frozenset[str]  # the pages' ``active`` values this link stands for
    roles: frozenset[str] = EVERYONE
    prefixes: tuple[str, ...] = ()  # other paths whose pages belong to this link (an item → the inbox)

    def matches(self, active: str | None, path: str) -> bool:
        """Whether the page at ``path`` (whose template set ``active``) is this link's page or under it."""
        if active in self.keys:
            return True
        return any(path == base or path.startswith(base + "/") for base in (self.href, *self.prefixes))


@dataclass(frozen=True)
class Group:
    label: str
    links: tuple[Link, ...]

    @property
    def href(self) -> str:
        return self.links[0].href


@dataclass(frozen=True)
class Menu:
    groups: list[Group]
    group: Group | None = None  # the group of the page shown (None: a page outside the menu)
    link: Link | None = None


def _link(label: str, href: str, *keys: str, roles: frozenset[str] = EVERYONE, prefixes: tuple[str, ...] = ()) -> Link:
    return Link(label, href, frozenset(keys), roles, prefixes)


MENU: tuple[Group, ...] = (
    Group(
        "Inbox",
        (
            _link("Inbox", "/inbox", "inbox", prefixes=("/items",)),
            _link("Mentions", "/mentions", "mentions"),
            _link("Questions", "/questions", "questions"),
        ),
    ),
    Group(
        "Act",
        (
            _link("Reply templates", "/replies/templates", "replies", prefixes=("/replies",)),
            _link("Routing rules", "/rules", "rules", roles=MANAGERS),
            _link("Alerts", "/alerts", "alerts", roles=MANAGERS),
            _link("Outreach", "/outreach", "outreach", roles=MANAGERS),
        ),
    ),
    Group(
        "Measure",
        (
            _link("Dashboard", "/dashboard", "dashboard"),
            _link("Reports", "/reports", "reports"),
            _link("Insight", "/trends", "trends", "events", "journey", "competitors", "personas", "business"),
            _link("Topics", "/topics", "topics", roles=MANAGERS),
        ),
    ),
    Group(
        "Listen",
        (
            _link("Sources", "/sources", "sources", roles=MANAGERS),
            _link("Staff note", "/notes/new", "notes", roles=WRITERS),
        ),
    ),
    Group(
        "Loop",
        (
            _link("Surveys", "/surveys", "surveys"),
            _link("Ideas", "/ideas-admin", "ideas"),
            _link("Widget", "/widget-sites", "widget", roles=MANAGERS),
            _link("Review invitations", "/invitations", "invitations", roles=MANAGERS),
        ),
    ),
    Group(
        "Admin",
        (
            _link("Pipeline", "/pipeline", "pipeline", roles=MANAGERS),
            _link("Audit log", "/audit", "audit", roles=ADMINS),
            _link("API", "/api/docs", "api"),
        ),
    ),
)


def menu_for(user: User | None, active: str | None = None, path: str = "") -> Menu:
    """The groups ``user`` sees, each with only the links their role may open (empty groups left out),
    and the group and link of the page shown (by its ``active`` key, else by its path)."""
    if user is None:
        return Menu([])
    groups = []
    for group in MENU:
        links = tuple(link for link in group.links if user.role in link.roles)
        if links:
            groups.append(Group(group.label, links))
    for group in groups:
        for link in group.links:
            if link.matches(active, path):
                return Menu(groups, group, link)
    return Menu(groups)
