"""rules.toml: the check language (schema), the typed settings (model) and the loader (load).

Import from the submodules; this package re-exports nothing, so that importing the model never
imports the rules (the loader does, to validate `[rules]` and each rule's settings)."""
