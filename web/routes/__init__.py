"""HTTP routes, one module per area; each route is parse -> service -> response."""
