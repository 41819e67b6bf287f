/**
 * Image values and file I/O shared by the API, the CLI and training: planar float RGB, 8-bit gray
 * mattes and trimaps, PNG/JPEG reading, PNG writing, and foreground colour estimation.
 */
package io.pam.image;
