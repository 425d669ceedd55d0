"""duewise test suites; ``tests.builders`` holds the shared event and state builders."""
