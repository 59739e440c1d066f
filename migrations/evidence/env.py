from migrations.env_common import run

run("evidence")
