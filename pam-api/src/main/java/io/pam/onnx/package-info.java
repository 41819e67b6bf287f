/**
 * ONNX without dependencies: a minimal protobuf encoder ({@link io.pam.onnx.ProtoWriter}), a
 * builder for the ONNX messages the project needs ({@link io.pam.onnx.OnnxGraph}), the cut of
 * the network into segments between routing decisions ({@link io.pam.onnx.Segment}) and the
 * compiler from a segment plus weights to an ONNX model ({@link io.pam.onnx.OnnxCompiler}).
 * Backend-neutral: the OpenCV backend loads these models in memory, and an export can write them.
 */
package io.pam.onnx;
