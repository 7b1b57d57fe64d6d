// Placeholder until the ONNX importer lands.
