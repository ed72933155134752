"""importers: management commands that turn files of rows into model rows.

Nothing here may import models at module level: the app registry is not ready when
Django imports this package.
"""
