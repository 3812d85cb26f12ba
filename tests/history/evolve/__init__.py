"""An app whose model each schema-evolution test defines at run time."""
