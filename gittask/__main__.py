from gittask.cli import main

main()
