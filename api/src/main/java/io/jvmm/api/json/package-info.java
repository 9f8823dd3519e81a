/** JSON documents as plain values and records, on Jackson's streaming API (no data binding). */
package io.jvmm.api.json;
