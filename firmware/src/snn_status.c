/* Human-readable status codes, shared by the reference, the front end and the driver. */
#include "snn_types.h"

const char *snn_strerror(snn_status_t status)
{
    switch (status) {
    case SNN_OK: return "ok";
    case SNN_ERR_ARG: return "bad argument (NULL pointer or impossible length)";
    case SNN_ERR_RANGE: return "input sample or RR feature outside its width";
    case SNN_ERR_MAGIC: return "not a weight image (bad magic word or unknown image format)";
    case SNN_ERR_HARDWARE_ID:
        return "weight image made for a different hardware configuration (hardware id)";
    case SNN_ERR_LENGTH: return "weight image length does not match this hardware";
    case SNN_ERR_CHECKSUM: return "weight image checksum mismatch (corrupted)";
    case SNN_ERR_LOAD_REJECTED: return "the accelerator rejected the weight image (load_error)";
    case SNN_ERR_NOT_LOADED: return "no model loaded in the accelerator";
    case SNN_ERR_BUSY: return "accelerator busy (inference running or result unread)";
    case SNN_ERR_TIMEOUT: return "accelerator did not answer within the poll budget";
    case SNN_ERR_NO_RR: return "not enough R peaks for the RR features yet";
    case SNN_ERR_LINK:
        return "link error to the accelerator (a transfer was cut, repeated or lost): beat dropped";
    }
    return "unknown status";
}
