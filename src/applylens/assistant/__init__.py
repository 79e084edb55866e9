"""The chat assistant: intents, tools over search results, answers and actions."""
