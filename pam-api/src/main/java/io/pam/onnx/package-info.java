/**
 * ONNX without dependencies: a minimal protobuf encoder ({@link io.pam.onnx.ProtoWriter}), a
 * builder for the ONNX messages the project needs ({@link io.pam.onnx.OnnxGraph}), the cut of
 * the network into segments between routing decisions ({@link io.pam.onnx.Segment}) and the
 * compiler from a segment plus weights to an ONNX model ({@link io.pam.onnx.OnnxCompiler}), and
 * the export of the whole network for other runtimes ({@link io.pam.onnx.OnnxExporter}: one fixed
 * path, or the path-adaptive network routing with {@code If} nodes; symbolic H and W).
 * Backend-neutral: the OpenCV backend loads the segment models in memory.
 */
package io.pam.onnx;
