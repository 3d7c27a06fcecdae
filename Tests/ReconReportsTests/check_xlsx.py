#!/usr/bin/env python3
"""Reads an XLSX file with openpyxl (an independent reader) and prints what it finds as JSON.

Used by XLSXWorkbookTests: the Swift test writes a workbook, runs this script and checks the facts.
Values are printed as text so the Swift side never compares floating point: repr() of a float is
the shortest text that reads back as the same number.
"""
import datetime
import json
import sys

import openpyxl


def text_of(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def main(path):
    workbook = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for sheet in workbook.worksheets:
        cached_sheet = cached[sheet.title]
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                cells[cell.coordinate] = {
                    "dataType": cell.data_type,
                    "pythonType": type(cell.value).__name__,
                    "value": text_of(cell.value),
                    "cached": text_of(cached_sheet[cell.coordinate].value),
                    "numberFormat": cell.number_format,
                    "bold": bool(cell.font.b),
                }
        widths = {
            letter: dimension.width
            for letter, dimension in sheet.column_dimensions.items()
            if dimension.customWidth
        }
        sheets.append({
            "name": sheet.title,
            "freezePanes": sheet.freeze_panes,
            "autoFilter": sheet.auto_filter.ref,
            "widths": widths,
            "cells": cells,
            "orientation": sheet.page_setup.orientation,
            # An absent fitToWidth is OOXML's default, 1.
            "fitToWidth": int(sheet.page_setup.fitToWidth) if sheet.page_setup.fitToWidth is not None else 1,
            "fitToHeight": int(sheet.page_setup.fitToHeight) if sheet.page_setup.fitToHeight is not None else None,
            "fitToPage": bool(sheet.sheet_properties.pageSetUpPr.fitToPage) if sheet.sheet_properties.pageSetUpPr else False,
            "printTitleRows": sheet.print_title_rows,
            "header": sheet.oddHeader.center.text,
            "footer": (sheet.oddFooter.left.text or "") + "|" + (sheet.oddFooter.right.text or ""),
        })
    properties = workbook.properties
    print(json.dumps({
        "sheets": sheets,
        "properties": {
            "title": properties.title,
            "subject": properties.subject,
            "creator": properties.creator,
            "description": properties.description,
        },
    }))


if __name__ == "__main__":
    main(sys.argv[1])
