from micelio.cli.main import main

main()
