from cardgen.cli import cli

cli(prog_name="cardgen")
