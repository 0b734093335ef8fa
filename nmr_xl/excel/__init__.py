"""The Excel add-in's Python side (xlwings): worksheet functions, the in-place check, the add-in
build. Importing this package imports nothing else, so xlwings stays an optional extra that only
the modules needing it import.
"""
