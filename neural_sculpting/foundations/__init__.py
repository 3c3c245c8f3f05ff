"""The ground floor: what every other package may use and what imports nothing of the project
(the one module naming every path, atomic writes, the base of user-facing errors)."""
