from kaohe.entry import main

main()
