"""`python -m netscope_common` runs the netscope CLI."""

from netscope_common.cli import main

main()
