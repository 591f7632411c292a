"""batchlint: lint and fix the effective batch of deep-learning training configs."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/batchlint/batchlint"
# The draft SchemaStore recommends (the best supported by editors); every shipped schema declares it.
JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"


def schema_url(name: str) -> str:
    """The `$id` of a shipped schema: its published copy on the project's main branch."""
    owner_repo = PROJECT_URL.removeprefix("https://github.com/")
    return f"https://raw.githubusercontent.com/{owner_repo}/main/schemas/{name}.schema.json"
