// libhdf5 (serial). Its "constants" such as H5T_NATIVE_DOUBLE are macros that call functions
// (they initialise the library on first use), which Swift cannot import: each is wrapped in a
// static inline function here. H5P_DEFAULT imports as Int32 while the API takes hid_t (int64_t),
// so it is wrapped too.
#ifndef QUANTFORGE_CHDF5_SHIM_H
#define QUANTFORGE_CHDF5_SHIM_H

#include <hdf5.h>
// libdeflate: chunks are compressed and decompressed in parallel outside HDF5 (H5Dwrite_chunk,
// H5Dread_chunk) as standard zlib streams, which HDF5's deflate filter reads and writes too;
// libdeflate is much faster than zlib at both (see BENCHMARKS.md).
#include <libdeflate.h>

static inline hid_t qf_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t qf_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t qf_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t qf_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t qf_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t qf_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t qf_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t qf_H5S_ALL(void) { return H5S_ALL; }
static inline hsize_t qf_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline size_t qf_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t qf_H5E_DEFAULT(void) { return H5E_DEFAULT; }

static inline hid_t qf_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t qf_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t qf_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t qf_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t qf_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t qf_H5T_NATIVE_HBOOL(void) { return H5T_NATIVE_HBOOL; }
static inline hid_t qf_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t qf_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t qf_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t qf_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }

static inline unsigned qf_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned qf_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned qf_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned qf_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

#endif
