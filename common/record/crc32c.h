/*
 * common/crc32c.h -- CRC-32C (Castagnoli), the checksum of Kafka v2 record
 * batches. Uses the SSE4.2 crc32 instruction (x86-64) or the ARMv8 CRC
 * extension when the CPU has it, else a slicing-by-8 table.
 */
#ifndef KN_CRC32C_H
#define KN_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc over buf; start with crc = 0. kn_crc32c(0, "123456789", 9)
 * == 0xE3069283. */
uint32_t kn_crc32c(uint32_t crc, const void *buf, size_t len);
/* The portable implementation, for tests comparing both paths. */
uint32_t kn_crc32c_sw(uint32_t crc, const void *buf, size_t len);
/* 1 if the hardware path is in use. */
int kn_crc32c_hw_available(void);

#endif /* KN_CRC32C_H */
