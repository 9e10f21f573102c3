"""The commitments/v1 file format, one job a module.

- :mod:`.document`: the file's text into data, with the line of every value, and the
  limits that keep a hostile file from hanging the reader;
- :mod:`.rules`: what each text field may hold (length, line breaks, characters);
- :mod:`.fieldreader`: :class:`~.fieldreader.Fields`, which reads one mapping's values
  by those rules and collects every problem (the command line's options go through it
  too);
- :mod:`.references`: the ``actors`` and ``sources`` entries;
- :mod:`.commitments`: a ``commitments`` entry into the commands it records;
- :mod:`.forms`: the reverse, stored events back into the file's form;
- :mod:`.reader`: a whole document into its checked sections;
- :mod:`.writer`: a document as commitments/v1 YAML text.

What a file does to the log (references checked, entries compared, events appended)
is the import's (``service_layer/importer.py``); what is read out of it, the export's.
"""
