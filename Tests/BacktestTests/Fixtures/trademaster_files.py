"""Where the fixture scripts find TradeMaster's daily bars: the shared/ folder beside the
repository, or the folder given as the scripts' first argument."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "shared")
TM = os.path.join(SHARED, "data", "trademaster")
FILES = {"btc": os.path.join(TM, "algorithmic_trading", "BTC", "BTC.csv"),
         "dji": os.path.join(TM, "portfolio_management", "dj30", "DJI.csv")}
