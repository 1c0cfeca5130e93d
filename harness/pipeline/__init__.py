"""Running cases of every kind on every runtime."""
