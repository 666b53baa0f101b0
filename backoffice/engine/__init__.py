"""The low-code resource engine: declare a resource once, get its list, detail, forms,
history, workflow, import and export."""
