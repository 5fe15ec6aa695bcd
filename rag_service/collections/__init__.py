"""Collections: named document sets, each with its own folder, index versions and visibility."""
