"""What the pages share, one job a module: configuration (secrets.toml), database (the one connection and the
fault pages), caches (cached reads), language, sidebar (filters in the URL, the start of every page), widgets
(cards, charts, tables, exports) and access (sign-in). Not a page: dashboard/registry.py lists the pages."""
