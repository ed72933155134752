"""One module per benchmarked method, each run as its own process by the harness.

Usage of every module: `python -m bench.methods.<name> POSTS.csv`, with
`BENCH_DATABASE_URL` naming the database (the harness sets it). Each loads the nine
post columns into an empty `blog_post` table whose authors and categories exist.
"""
