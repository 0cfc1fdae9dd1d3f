/* SPDX-License-Identifier: MIT */
/**
 * @file parn.h
 * @brief libparn: privacy-preserving video analytics (the whole public ABI).
 *
 * libparn anonymizes faces in video frame by frame (a GAN regenerates each face so that the
 * identity is gone while the video stays natural) and classifies actions in 16-frame clips
 * (a feature enhancement module in front of a C3D network). It runs on the CPU (oneDNN) and on
 * NVIDIA GPUs, and it trains its own networks.
 *
 * This header is the only published interface: whatever is not declared here is private.
 *
 * Objects
 * - parn_model_t   : network weights. Immutable once created or loaded; share it freely
 *                    between threads and sessions.
 * - parn_session_t : one stream of work on one device (scratch memory, temporal state, the
 *                    error message). Use a session from one thread at a time.
 * - parn_trainer_t : training state (optimizer moments, gradients) bound to a session.
 * - parn_options_t : typed key/value settings given to constructors.
 * - parn_frame_t   : a description of a caller-owned (or library-owned) picture.
 *
 * Conventions
 * - Every fallible call returns a parn_status; PARN_OK is 0. On failure, the reason is in
 *   parn_last_error(session), or parn_last_error(NULL) for calls made without a session.
 * - A constructor `parn_x_create(..., parn_x_t **out)` sets *out only on success, and
 *   `parn_x_destroy(NULL)` is a harmless no-op.
 * - The library never prints, never exits and never aborts; diagnostics go to the callback set
 *   with parn_set_log_callback().
 * - No structure is passed by value or allocated by the caller, so the ABI grows by appending.
 *
 * Usage
 * @code
 *   parn_options_t *opts = NULL;
 *   parn_session_t *s = NULL;
 *   if (parn_options_create(&opts) != PARN_OK) return 1;
 *   parn_options_set_string(opts, PARN_OPT_DEVICE, "cpu");
 *   parn_options_set_int(opts, PARN_OPT_THREADS, 2);
 *   if (parn_session_create(NULL, opts, &s) != PARN_OK) {
 *       fprintf(stderr, "libparn: %s\n", parn_last_error(NULL));
 *       parn_options_destroy(opts);
 *       return 1;
 *   }
 *   parn_options_destroy(opts);          // the session keeps its own copy
 *   ... per frame: wrap the decoded picture with parn_frame_wrap() and process it ...
 *   parn_session_destroy(s);
 * @endcode
 *
 * Thread safety: every function may be called from any thread. Functions taking a
 * parn_session_t must not run concurrently on the same session. Functions taking only a
 * const parn_model_t may run concurrently.
 */
#ifndef PARN_H
#define PARN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Export and versions
 * ------------------------------------------------------------------------------------------- */

/** @def PARN_API
 * Marks the exported functions: default visibility (dllexport/dllimport on Windows). Since: 0.1 */
#if defined(_WIN32) && defined(PARN_BUILDING)
#define PARN_API __declspec(dllexport)
#elif defined(_WIN32) && defined(PARN_SHARED)
#define PARN_API __declspec(dllimport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define PARN_API __attribute__((visibility("default")))
#else
#define PARN_API
#endif

/** Version of this header. meson.build's project version must equal it (a test checks). Since: 0.1 */
#define PARN_VERSION_MAJOR 0
#define PARN_VERSION_MINOR 1 /**< minor version of this header. Since: 0.1 */
#define PARN_VERSION_PATCH 0 /**< patch version of this header. Since: 0.1 */
/** MAJOR*10000 + MINOR*100 + PATCH. Since: 0.1 */
#define PARN_VERSION_NUMBER (PARN_VERSION_MAJOR * 10000 + PARN_VERSION_MINOR * 100 + PARN_VERSION_PATCH)
#define PARN_VERSION_STRING "0.1.0" /**< "MAJOR.MINOR.PATCH". Since: 0.1 */
/** Bumped whenever a published declaration changes incompatibly; equals the soname. Since: 0.1 */
#define PARN_ABI_VERSION 0

/** @return the library's PARN_VERSION_NUMBER (may differ from the header's). Since: 0.1 */
PARN_API int parn_version_number(void);

/** @return the library's version as "X.Y.Z"; static storage. Since: 0.1 */
PARN_API const char *parn_version_string(void);

/**
 * @return a static one-line description of how the library was built: version, the backends
 * compiled in (cpu, cuda), and the versions of oneDNN and, when built, CUDA/cuDNN. Since: 0.1
 */
PARN_API const char *parn_build_info(void);

/** Status codes. Values are permanent; new codes are only appended. Since: 0.1 */
typedef enum parn_status {
    PARN_OK = 0,               /**< success */
    PARN_E_INVALID_ARG = 1,    /**< a NULL pointer, an out-of-range value or an unknown key */
    PARN_E_NOMEM = 2,          /**< an allocation failed */
    PARN_E_UNSUPPORTED = 3,    /**< no implementation for this backend, op or shape */
    PARN_E_SHAPE = 4,          /**< tensor or frame sizes that do not fit together */
    PARN_E_DEVICE = 5,         /**< the device is unknown, absent or failed */
    PARN_E_IO = 6,             /**< a file could not be opened, read or written */
    PARN_E_FORMAT = 7,         /**< a file or buffer is malformed */
    PARN_E_STATE = 8,          /**< the call is not valid in the object's current state */
    PARN_E_BACKEND = 9,        /**< a library below (oneDNN, CUDA, FFmpeg) reported an error */
    PARN_E_INTERNAL = 10,      /**< a bug in libparn; please report it */
    PARN_E_NOT_FOUND = 11,     /**< a named item (tensor, network, file) does not exist */
    PARN_E_ABI = 12,           /**< header and library versions do not match */
    PARN_AGAIN = 100,          /**< not an error: more input is needed before output comes */
    PARN_EOF = 101             /**< not an error: the end of a stream was reached */
} parn_status;

/** @return a static English description of a status code (never NULL). Since: 0.1 */
PARN_API const char *parn_status_string(parn_status status);

/**
 * Checks that the library matches the header the caller was compiled with.
 * Call as parn_init_check(PARN_ABI_VERSION).
 * @return PARN_OK, or PARN_E_ABI when the library was built for another ABI. Since: 0.1
 */
PARN_API parn_status parn_init_check(int abi_version);

/* ---------------------------------------------------------------------------------------------
 * Errors and logging
 * ------------------------------------------------------------------------------------------- */

typedef struct parn_model parn_model_t;       /**< network weights (see file comment) */
typedef struct parn_session parn_session_t;   /**< one stream on one device */
typedef struct parn_trainer parn_trainer_t;   /**< training state bound to a session */
typedef struct parn_options parn_options_t;   /**< typed key/value settings */
typedef struct parn_frame parn_frame_t;       /**< a picture: format, size, planes, strides */

/**
 * The message describing the last failure.
 * @param session the session the failing call was made on, or NULL for calls made without one
 *                (constructors, options, frames); those messages are kept per thread.
 * @return a string owned by the session (or by the thread), valid until the next call on that
 *         session (or the next session-less call on that thread); "" when nothing failed.
 * Since: 0.1
 */
PARN_API const char *parn_last_error(const parn_session_t *session);

/** Severity of a log message. Since: 0.1 */
typedef enum parn_log_level {
    PARN_LOG_ERROR = 0,
    PARN_LOG_WARN = 1,
    PARN_LOG_INFO = 2,
    PARN_LOG_DEBUG = 3
} parn_log_level;

/** A log sink. @param user the pointer given to parn_set_log_callback. Since: 0.1 */
typedef void (*parn_log_fn)(void *user, parn_log_level level, const char *message);

/**
 * Sets the process-wide log sink; NULL (the default) drops every message. The callback may be
 * called from any thread that calls into libparn, and must not call back into libparn.
 * Since: 0.1
 */
PARN_API void parn_set_log_callback(parn_log_fn fn, void *user);

/* ---------------------------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------------------------- */

/** Option keys. Values are permanent and never reused; experimental keys start at 1000. Since: 0.1 */
typedef enum parn_option {
    PARN_OPT_DEVICE = 1,   /**< string: "cpu" (default) or "cuda:N" when the CUDA backend is built */
    PARN_OPT_THREADS = 2,  /**< int: CPU threads for a session, 0 (default) = all cores, 1..1024 */
    PARN_OPT_SEED = 3,     /**< int: seed of a session's random generator, or of a new model's
                                initial weights, >= 0 (default 0) */
    PARN_OPT_NETWORKS = 4, /**< string: networks of a new model, comma-separated among generator,
                                discriminator, fem, c3d (default "generator,discriminator,fem,c3d") */
    PARN_OPT_CLASSES = 5,  /**< int: action classes of a new model's C3D, 1..1024 (default 101) */
    PARN_OPT_CLASS_NAMES = 6, /**< string: comma-separated class names, as many as classes
                                   (default "class_0,class_1,...") */
    PARN_OPT_MODEL_CONFIG = 7, /**< string: JSON object of per-network hyper-parameters, e.g.
                                   {"c3d": {"variant": 8}, "generator": {"base": 64}}; keys and
                                   ranges in docs/models.md (default "{}") */
    PARN_OPT_DETECTOR = 8,  /**< string: face detector of a session, "tiny" (default) or "ssd" */
    PARN_OPT_DETECTOR_INPUT_SIZE = 9, /**< int: tiny detector's input side, a multiple of 32 in
                                           [128, 1024] (default 416); the SSD always uses 512 */
    PARN_OPT_DETECTOR_THRESHOLD = 10, /**< float: minimum face score, [0.01, 1] (default 0.5) */
    PARN_OPT_MAX_FACES = 11, /**< int: most faces reported per frame, [1, 1000] (default 100) */
    PARN_OPT_FACE_MODEL = 12, /**< string: model file holding the face detector/embedder, used
                                   when the session's own model has none (default: the setup
                                   step's, see parn_default_face_model) */
    PARN_OPT_ANON_MODE = 13,  /**< string: "auto" (default: gan when the model has a generator,
                                   else blur), "gan", "blur", "pixelate", "mask" */
    PARN_OPT_DETECT_EVERY = 14, /**< int: run the detector every N frames, tracking in between,
                                     [1, 1000] (default 1); the frames it skips do not count
                                     toward PARN_OPT_TRACK_MEMORY */
    PARN_OPT_TRACK_MEMORY = 15, /**< int: frames a face stays covered after its last detection,
                                     [0, 1000] (default 5) */
    PARN_OPT_FACE_MARGIN = 16,  /**< float: margin added around each face box, as a fraction of
                                     its size, [0, 2] (default 0.25) */
    PARN_OPT_FACE_SHAPE = 17,   /**< string: covered region, "ellipse" (default) or "box" */
    PARN_OPT_CLIP_STRIDE = 18,  /**< int: frames between two classifications of the streaming
                                     classifier, [1, 1024] (default 16) */
    PARN_OPT_TRAIN_CONFIG = 19, /**< string: JSON object of training settings for
                                     parn_trainer_create (optimizers, rates, schedules, loss
                                     weights, batch sizes, checkpointing); keys, ranges and the
                                     paper's defaults in docs/training.md (default "{}") */
    PARN_OPT_DATASET_CONFIG = 20, /**< string: JSON object of dataset settings for
                                     parn_dataset_open (split, subset, sizes, augmentation, seed);
                                     keys in docs/training.md (default "{}") */
    PARN_OPT_PRECISION = 21 /**< string: arithmetic of a session's convolutions and dense layers,
                                 fixed at creation: "fp32" (default), "tf32", "fp16" or "bf16".
                                 CUDA only: a CPU session accepts "fp32" and fails with
                                 PARN_E_UNSUPPORTED for the others. "tf32" keeps fp32 storage
                                 with TF32 tensor cores; "fp16"/"bf16" run convolutions and dense
                                 layers on fp16/bf16 tensor cores (fp32 accumulation, fp32
                                 results), for inference only: parn_trainer_create fails with
                                 PARN_E_UNSUPPORTED on such a session */
} parn_option;

/** The type of an option's value. Since: 0.1 */
typedef enum parn_option_type {
    PARN_OPT_TYPE_INT = 1,
    PARN_OPT_TYPE_FLOAT = 2,
    PARN_OPT_TYPE_STRING = 3
} parn_option_type;

/**
 * Describes an option key.
 * @param key  the option.
 * @param name (out, may be NULL) a static name such as "threads".
 * @param type (out, may be NULL) the value type.
 * @param min, max (out, may be NULL) the accepted range of int and float options.
 * @return PARN_OK, or PARN_E_INVALID_ARG for an unknown key. Since: 0.1
 */
PARN_API parn_status parn_option_info(parn_option key, const char **name, parn_option_type *type,
                                      double *min, double *max);

/** Creates an empty options set (every key at its default). @param out (out) the new set. Since: 0.1 */
PARN_API parn_status parn_options_create(parn_options_t **out);

/** Frees an options set; NULL is a no-op. Since: 0.1 */
PARN_API void parn_options_destroy(parn_options_t *opts);

/**
 * Sets an option. The value is checked against the key's type and range.
 * @return PARN_OK, or PARN_E_INVALID_ARG (unknown key, wrong type, out of range). Since: 0.1
 */
PARN_API parn_status parn_options_set_int(parn_options_t *opts, parn_option key, int64_t value);
/** As parn_options_set_int, for float options. Since: 0.1 */
PARN_API parn_status parn_options_set_float(parn_options_t *opts, parn_option key, double value);
/** As parn_options_set_int, for string options; the string is copied. Since: 0.1 */
PARN_API parn_status parn_options_set_string(parn_options_t *opts, parn_option key, const char *value);

/** Reads an int option (the default when unset). Since: 0.1 */
PARN_API parn_status parn_options_get_int(const parn_options_t *opts, parn_option key, int64_t *value);
/** Reads a float option (the default when unset). Since: 0.1 */
PARN_API parn_status parn_options_get_float(const parn_options_t *opts, parn_option key, double *value);
/**
 * Reads a string option (the default when unset).
 * @param value (out) a string owned by opts, valid until the key is set again or opts is destroyed.
 * Since: 0.1
 */
PARN_API parn_status parn_options_get_string(const parn_options_t *opts, parn_option key,
                                             const char **value);

/* ---------------------------------------------------------------------------------------------
 * Models
 * ------------------------------------------------------------------------------------------- */

/**
 * Creates a model with fresh weights (PyTorch's default initialisation, reproducible per seed).
 * @param opts PARN_OPT_NETWORKS, PARN_OPT_CLASSES, PARN_OPT_CLASS_NAMES, PARN_OPT_MODEL_CONFIG,
 *             PARN_OPT_SEED; NULL means all defaults.
 * @param out  (out) the new model; free it with parn_model_destroy.
 * @return PARN_OK; PARN_E_INVALID_ARG (unknown network, bad class names, a configuration value
 *         out of range, malformed JSON); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_model_create(const parn_options_t *opts, parn_model_t **out);

/**
 * Imports pretrained weights from another format into a new model.
 * @param format "face-api": the model/ folder of the npm package `@vladmandic/face-api` (TF.js
 *               weight manifests): its tiny face detector, SSD MobileNet v1 face detector and
 *               face recognition network become the model's detector and embedder.
 * @param path   the folder or file to read.
 * @return PARN_OK; PARN_E_INVALID_ARG (unknown format); PARN_E_IO; PARN_E_FORMAT (malformed
 *         weights); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_model_import(const char *format, const char *path, parn_model_t **out);

/**
 * Loads a model file (safetensors; see docs/model-format.md). The file is mapped, not copied,
 * where possible. Every field is validated: a truncated, oversized, inconsistent or lying file
 * is an error, never a crash. A PyTorch state_dict of the reference networks saved with
 * safetensors (tensor names under "generator.", "discriminator.", "fem.", "c3d.") loads as is;
 * without libparn's metadata the networks take their default configurations.
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL); PARN_E_IO (cannot open or read);
 *         PARN_E_FORMAT (malformed file); PARN_E_UNSUPPORTED (a newer format or a dtype other
 *         than F32); PARN_E_SHAPE / PARN_E_NOT_FOUND (tensors that do not fit the networks);
 *         PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_model_load(const char *path, parn_model_t **out);

/**
 * Writes the model to path atomically (a temporary file in the same folder, then a rename), so
 * that a crash never leaves a partial file at path.
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_IO. Since: 0.1
 */
PARN_API parn_status parn_model_save(const parn_model_t *model, const char *path);

/** Frees a model; NULL is a no-op. Sessions using it must be destroyed first. Since: 0.1 */
PARN_API void parn_model_destroy(parn_model_t *model);

/**
 * Describes a model as JSON: {"format", "networks": {name: configuration}, "tensors",
 * "parameters", "classes": [names]}.
 * @return a string owned by the model, valid until it is destroyed; NULL for NULL. Since: 0.1
 */
PARN_API const char *parn_model_describe(const parn_model_t *model);

/** @return 1 when the model holds the network ("generator", "discriminator", "fem", "c3d",
 *  "detector", "embedder"), else 0. Since: 0.1 */
PARN_API int parn_model_has_network(const parn_model_t *model, const char *network);

/** @return the number of action classes (0 without a C3D). Since: 0.1 */
PARN_API int parn_model_num_classes(const parn_model_t *model);

/** @return the frames per clip the classifier takes (0 without a C3D). Since: 0.1 */
PARN_API int parn_model_clip_length(const parn_model_t *model);

/** @return class i's name (owned by the model), or NULL when out of range. Since: 0.1 */
PARN_API const char *parn_model_class_name(const parn_model_t *model, int i);

/* ---------------------------------------------------------------------------------------------
 * Devices and sessions
 * ------------------------------------------------------------------------------------------- */

/**
 * Counts the usable devices of a kind.
 * @param kind  "cpu" (always 1) or "cuda" (0 when the CUDA backend is not built, or no GPU or
 *              driver is present).
 * @param count (out) the number of devices.
 * @return PARN_OK, or PARN_E_INVALID_ARG for an unknown kind. Since: 0.1
 */
PARN_API parn_status parn_device_count(const char *kind, int *count);

/**
 * Creates a session: one stream of work on one device.
 * @param model the weights the session runs (borrowed: it must outlive the session), or NULL for
 *              a session that only holds a device (for example to check that it works).
 * @param opts  PARN_OPT_DEVICE, PARN_OPT_THREADS, PARN_OPT_SEED; NULL means all defaults. The
 *              session copies what it needs: opts may be destroyed right after.
 * @param out   (out) the new session.
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL out, malformed device name); PARN_E_DEVICE (a
 *         device that does not exist, or CUDA asked for where it is not available);
 *         PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_session_create(const parn_model_t *model, const parn_options_t *opts,
                                         parn_session_t **out);

/** Frees a session and everything it owns; NULL is a no-op. Since: 0.1 */
PARN_API void parn_session_destroy(parn_session_t *session);

/** @return the session's device as "cpu" or "cuda:N" (owned by the session), or NULL for NULL. Since: 0.1 */
PARN_API const char *parn_session_device(const parn_session_t *session);

/** @return the number of CPU threads the session uses, or 0 for NULL. Since: 0.1 */
PARN_API int parn_session_threads(const parn_session_t *session);

/**
 * Changes a session's settings: the keys set in opts among PARN_OPT_DETECTOR,
 * PARN_OPT_DETECTOR_INPUT_SIZE, PARN_OPT_DETECTOR_THRESHOLD and PARN_OPT_MAX_FACES. The device
 * and thread count are fixed at creation.
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL, a key that cannot change, a bad value); nothing
 *         changes on failure. Since: 0.1
 */
PARN_API parn_status parn_session_configure(parn_session_t *session, const parn_options_t *opts);

/* ---------------------------------------------------------------------------------------------
 * Faces (the pretrained face-api.js networks: see docs/faces.md)
 * ------------------------------------------------------------------------------------------- */

/**
 * Where the face model converted by the setup step is: $PARN_FACE_MODEL when set, else the
 * installed DATADIR/parn/faces.safetensors, else the build tree's examples/faces.safetensors
 * (for programs run uninstalled) — the first that exists.
 * @return a path (static or from the environment), or NULL when none exists. Since: 0.1
 */
PARN_API const char *parn_default_face_model(void);

/** Length of a face descriptor. Since: 0.1 */
#define PARN_DESCRIPTOR_SIZE 128

/**
 * Finds faces in a frame with the session's detector (PARN_OPT_DETECTOR and its settings). The
 * session's model must hold the detector (a model converted by parn-convert, see docs/faces.md).
 * @param boxes     (out) 5 floats per face: x, y, width, height (frame pixels, inside the
 *                  frame) and score, best first; room for max_faces faces.
 * @param max_faces capacity of boxes, >= 0.
 * @param n_faces   (out) the number of faces written.
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_NOT_FOUND (no detector in the model);
 *         PARN_E_NOMEM; PARN_E_BACKEND. Since: 0.1
 */
PARN_API parn_status parn_faces_detect(parn_session_t *session, const parn_frame_t *frame,
                                       float *boxes, int max_faces, int *n_faces);

/**
 * Computes the 128-d face descriptor of a face (face-api.js's recognition network).
 * @param box        x, y, width, height of the face in frame pixels, or NULL for the whole frame.
 * @param descriptor (out) PARN_DESCRIPTOR_SIZE floats.
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL, an empty box or one outside the frame);
 *         PARN_E_NOT_FOUND (no embedder in the model); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_face_descriptor(parn_session_t *session, const parn_frame_t *frame,
                                          const float *box, float *descriptor);

/**
 * Euclidean distance between two descriptors; below about 0.6 usually means the same person.
 * @return the distance, or a negative value when a pointer is NULL. Since: 0.1
 */
PARN_API float parn_descriptor_distance(const float *a, const float *b);

/* ---------------------------------------------------------------------------------------------
 * Frames
 * ------------------------------------------------------------------------------------------- */

/** Pixel formats of frames. Values are permanent. Since: 0.1 */
typedef enum parn_pixel_format {
    PARN_PIX_RGB24 = 1,    /**< packed R,G,B bytes; 1 plane */
    PARN_PIX_BGR24 = 2,    /**< packed B,G,R bytes; 1 plane */
    PARN_PIX_RGBA = 3,     /**< packed R,G,B,A bytes; 1 plane */
    PARN_PIX_GRAY8 = 4,    /**< one luma byte per pixel; 1 plane */
    PARN_PIX_YUV420P = 5,  /**< planar Y, U, V; chroma halved both ways (rounded up); 3 planes */
    PARN_PIX_NV12 = 6      /**< Y plane, then interleaved U,V at half size; 2 planes */
} parn_pixel_format;

/** @return the number of planes of a format (1..3), or 0 for an unknown format. Since: 0.1 */
PARN_API int parn_pixel_format_planes(parn_pixel_format format);

/**
 * Describes a picture that the caller owns (the memory is borrowed, never copied or freed).
 * @param format  the pixel format.
 * @param width, height picture size in pixels, 1..16384 each (YUV420P and NV12: any size).
 * @param planes  parn_pixel_format_planes(format) pointers to the pixel rows.
 * @param strides bytes from one row to the next, per plane; at least the row's byte width.
 * @param out     (out) the descriptor; free it with parn_frame_free (the pixels stay the caller's).
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL pointers, unknown format, bad size or stride);
 *         PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_frame_wrap(parn_pixel_format format, int width, int height,
                                     uint8_t *const planes[], const int strides[],
                                     parn_frame_t **out);

/**
 * Allocates a picture owned by the library (rows 64-byte aligned, zero-filled).
 * @return as parn_frame_wrap. Since: 0.1
 */
PARN_API parn_status parn_frame_alloc(parn_pixel_format format, int width, int height,
                                      parn_frame_t **out);

/** Frees a frame descriptor (and its pixels if the library owns them) and sets *frame to NULL;
 *  NULL or *frame == NULL is a no-op. Since: 0.1 */
PARN_API void parn_frame_free(parn_frame_t **frame);

/**
 * Reads a still image (JPEG, PNG, PGM, GIF, BMP, ... whatever FFmpeg decodes; the first picture
 * of an animation) into a new RGB24 frame owned by the library.
 * @param out (out) the picture; free it with parn_frame_free.
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_IO (cannot open); PARN_E_FORMAT (not a decodable
 *         picture); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_image_load(const char *path, parn_frame_t **out);

/** @return the frame's width (0 for NULL). Since: 0.1 */
PARN_API int parn_frame_width(const parn_frame_t *frame);
/** @return the frame's height (0 for NULL). Since: 0.1 */
PARN_API int parn_frame_height(const parn_frame_t *frame);
/** @return the frame's pixel format (0 for NULL). Since: 0.1 */
PARN_API parn_pixel_format parn_frame_format(const parn_frame_t *frame);
/** @return plane i's first byte, or NULL for NULL or i out of range. Since: 0.1 */
PARN_API uint8_t *parn_frame_plane(const parn_frame_t *frame, int i);
/** @return plane i's stride in bytes, or 0 for NULL or i out of range. Since: 0.1 */
PARN_API int parn_frame_stride(const parn_frame_t *frame, int i);

/* ---------------------------------------------------------------------------------------------
 * Anonymization (frame in, frame out)
 * ------------------------------------------------------------------------------------------- */

/** Floats per face record written by the anonymize calls: x, y, width, height (frame pixels, the
 *  covered region before the margin), score (0 when carried by the tracker or given by the
 *  caller), track id, and 1 when detected on this frame or 0 when carried. Since: 0.1 */
#define PARN_FACE_RECORD 7

/**
 * Anonymizes one frame: detects faces (every PARN_OPT_DETECT_EVERY frames), tracks them (a face
 * missed for up to PARN_OPT_TRACK_MEMORY frames stays covered, track ids are stable), and
 * replaces each face region (with PARN_OPT_FACE_MARGIN, PARN_OPT_FACE_SHAPE) per
 * PARN_OPT_ANON_MODE, blending with a feathered edge. Every pixel outside the covered regions is
 * copied unchanged (exactly for packed RGB formats; YUV420P and NV12: luma exactly, chroma exactly
 * outside the 2x2 blocks that a region touches).
 * @param in    the frame (any supported format and strides).
 * @param out   a frame of the same format and size (may be in itself: in place).
 * @param faces (out, may be NULL) PARN_FACE_RECORD floats per face handled, room for max_faces.
 * @param n_faces (out, may be NULL) faces written.
 * Fails closed: when any stage fails after the arguments were accepted, out is filled entirely
 * with black (a solid frame hides every face) and the error is returned; with bad arguments
 * (NULL, mismatched frames) out is not touched and must not be shown.
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_SHAPE; PARN_E_NOT_FOUND (no detector, or mode gan
 *         without a generator); PARN_E_NOMEM; PARN_E_BACKEND. Since: 0.1
 */
PARN_API parn_status parn_anonymize_frame(parn_session_t *session, const parn_frame_t *in,
                                          parn_frame_t *out, float *faces, int max_faces,
                                          int *n_faces);

/**
 * As parn_anonymize_frame with the caller's face boxes (bring your own detector): boxes holds
 * 4 floats per face (x, y, width, height in frame pixels; finite, positive sizes; a box may
 * extend past the frame, one wholly outside is ignored); the tracker still assigns ids and
 * carries boxes through frames where the caller reports none (each call is a detection:
 * PARN_OPT_DETECT_EVERY does not apply, and a call with no box ages the tracks).
 * Since: 0.1
 */
PARN_API parn_status parn_anonymize_frame_boxes(parn_session_t *session, const parn_frame_t *in,
                                                parn_frame_t *out, const float *boxes, int n_boxes,
                                                float *faces, int max_faces, int *n_faces);

/* ---------------------------------------------------------------------------------------------
 * Action classification
 * ------------------------------------------------------------------------------------------- */

/**
 * Classifies a clip with FEM + C3D: each frame is resized to 128 x 171 and centre-cropped to
 * 112 x 112 (the model's crop), as in the paper. The network sees RGB values / 255 (in [0, 1],
 * no mean subtraction), laid out 1 x 3 x frames x crop x crop; the resize is bilinear with
 * antialiasing (PyTorch's interpolate(antialias=True)); a crop above 128 resizes to crop x
 * round(crop * 171 / 128) instead. Ties in probability rank the lower class index first.
 * @param frames   n_frames frames (the model's clip length, 16 by default), any formats.
 * @param top_k    how many classes to report, 1..classes.
 * @param classes  (out) top_k class indices, most probable first (names:
 *                 parn_model_class_name).
 * @param probs    (out) their softmax probabilities.
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_SHAPE (wrong number of frames);
 *         PARN_E_NOT_FOUND (no C3D in the model); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_classify_clip(parn_session_t *session, const parn_frame_t *const *frames,
                                        int n_frames, int top_k, int *classes, float *probs);

/**
 * Streaming classification: keeps the session's last clip-length frames and classifies them
 * every PARN_OPT_CLIP_STRIDE frames once enough have arrived: the first result comes with the
 * clip-length-th frame (the 16th by default), then one every stride frames. A frame that
 * fails is not kept; a result that fails is due again on the next frame.
 * @return PARN_OK with classes/probs written when a clip was classified on this frame;
 *         PARN_AGAIN (not an error; classes/probs untouched) when no result is due; errors as
 *         parn_classify_clip.
 * Since: 0.1
 */
PARN_API parn_status parn_classify_push(parn_session_t *session, const parn_frame_t *frame,
                                        int top_k, int *classes, float *probs);

/* ---------------------------------------------------------------------------------------------
 * Video files (FFmpeg)
 * ------------------------------------------------------------------------------------------- */

typedef struct parn_video_reader parn_video_reader_t; /**< a decoding video file */
typedef struct parn_video_writer parn_video_writer_t; /**< an encoding video file */

/**
 * Opens a video file (whatever FFmpeg reads) for decoding its first video stream.
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_IO (cannot open); PARN_E_FORMAT (no video stream,
 *         undecodable); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_video_open(const char *path, parn_video_reader_t **out);

/**
 * What the file says about its video stream; any out pointer may be NULL.
 * @param frames   (out) the frame count, or -1 when the container does not say.
 * @param duration (out) seconds, or -1 when unknown.
 * @return PARN_OK or PARN_E_INVALID_ARG. Since: 0.1
 */
PARN_API parn_status parn_video_info(const parn_video_reader_t *reader, int *width, int *height,
                                     double *fps, int64_t *frames, double *duration,
                                     int *has_audio);

/**
 * Decodes the next frame.
 * @param frame (out) an RGB24 frame owned by the reader, valid until the next read or close.
 * @return PARN_OK; PARN_EOF at the end (not an error); PARN_E_FORMAT (corrupt data). Since: 0.1
 */
PARN_API parn_status parn_video_read(parn_video_reader_t *reader, parn_frame_t **frame);

/** Closes a reader; NULL is a no-op. Since: 0.1 */
PARN_API void parn_video_close(parn_video_reader_t *reader);

/**
 * Creates a video file like the reader's input: same size, frame rate, time base, and the
 * input's audio stream copied unchanged; H.264 (libx264) when available, else the best encoder
 * FFmpeg has for the container of path's extension. Writes to a temporary file beside path and
 * renames it on parn_video_writer_close. Refuses to write over the reader's own input.
 * Frame i written gets the timestamp and duration of the reader's frame i (frames beyond those
 * read follow at the frame rate), so a frame-for-frame copy has the input's frame count and
 * duration; no B-frames are used. Odd widths or heights, which 4:2:0 H.264 cannot code, are
 * coded at their exact size in 4:4:4 (High 4:4:4 profile). The input's metadata is not copied.
 * @param like the reader whose video this one mirrors (borrowed until close); its audio packets
 *             are copied as its frames are read (audio demuxed before the writer opened is kept
 *             up to 32 MiB). One writer per reader at a time.
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL, path is the input); PARN_E_IO; PARN_E_UNSUPPORTED
 *         (no encoder, no container for the extension, or audio the container cannot hold);
 *         PARN_E_STATE (the reader already feeds a writer); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_video_writer_open(const char *path, parn_video_reader_t *like,
                                            parn_video_writer_t **out);

/**
 * Creates a new video file of width x height at fps frames per second (no audio): H.264
 * (libx264) when available, else the best encoder FFmpeg has for the container of path's
 * extension; frame i is shown at i / fps seconds. Written to a temporary file beside path and
 * renamed on parn_video_writer_close.
 * @param fps frames per second, in (0, 1000]; a rational close to it is used (30000/1001 for
 *            29.97).
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL, sizes outside 2..16384, fps out of range);
 *         PARN_E_IO; PARN_E_UNSUPPORTED (no encoder or container); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_video_writer_create(const char *path, int width, int height, double fps,
                                              parn_video_writer_t **out);

/**
 * Encodes the next frame (any format; converted as needed; size must match).
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_SHAPE (another size; the writer stays usable);
 *         PARN_E_IO, PARN_E_BACKEND (the writer is then broken: later writes give PARN_E_STATE).
 * Since: 0.1
 */
PARN_API parn_status parn_video_write(parn_video_writer_t *writer, const parn_frame_t *frame);

/**
 * Finishes the file (flushes the encoder, copies the remaining audio, writes the trailer) and
 * renames it into place, then frees the writer (on failure the temporary file is deleted).
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL); PARN_E_IO; PARN_E_BACKEND; PARN_E_STATE (an earlier
 *         write failed). Since: 0.1
 */
PARN_API parn_status parn_video_writer_close(parn_video_writer_t *writer);

/** Abandons a writer: frees it and deletes its temporary file; NULL is a no-op. Since: 0.1 */
PARN_API void parn_video_writer_destroy(parn_video_writer_t *writer);

/* ---------------------------------------------------------------------------------------------
 * Training
 * ------------------------------------------------------------------------------------------- */

typedef struct parn_dataset parn_dataset_t; /**< training or evaluation data, read in the background */

/**
 * Opens a dataset. Files are indexed at open; pictures and videos are decoded (FFmpeg) by
 * background threads while training runs. Item order, crops and flips are a pure function of
 * the dataset seed and the position in the stream, so a resumed run sees the same data.
 * @param kind one of
 *   - "faces": root is a folder tree of face pictures, any depth (LFW's `<root>/<person>/<image>`,
 *     with pairs.txt used when present; JPEG, PNG, PGM, GIF, with or without an extension);
 *     the class of a picture is its folder.
 *   - "face-videos": root is a folder tree of videos; face crops are harvested with the face
 *     detector (PARN_OPT_FACE_MODEL, PARN_OPT_DETECTOR, PARN_OPT_DETECTOR_THRESHOLD).
 *   - "actions": root is `<root>/<class>/<video>` (HMDB51, UCF101); their split files are used when
 *     the dataset config names them; items are random 16-frame clips.
 *   - "hollywood2": root is a Hollywood2 copy (ClipSets/ and AVIClips/).
 *   - "synthetic": root is NULL; seeded synthetic action clips (see parn_synthetic_clip).
 * @param opts PARN_OPT_DATASET_CONFIG, PARN_OPT_SEED and the face keys above; NULL = defaults.
 * @return PARN_OK; PARN_E_INVALID_ARG (unknown kind, bad config); PARN_E_IO, PARN_E_NOT_FOUND
 *         (root unreadable, empty, split file missing); PARN_E_FORMAT; PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_dataset_open(const char *kind, const char *root,
                                       const parn_options_t *opts, parn_dataset_t **out);

/** Stops the dataset's threads and frees it; NULL is a no-op. Since: 0.1 */
PARN_API void parn_dataset_destroy(parn_dataset_t *dataset);

/** @return the kind given to parn_dataset_open (static string), or NULL for NULL. Since: 0.1 */
PARN_API const char *parn_dataset_kind(const parn_dataset_t *dataset);

/** @return the number of items (pictures, face crops, videos or clips), or -1 for NULL. Since: 0.1 */
PARN_API int64_t parn_dataset_size(const parn_dataset_t *dataset);

/** @return the number of classes (people or actions), or -1 for NULL. Since: 0.1 */
PARN_API int parn_dataset_num_classes(const parn_dataset_t *dataset);

/** @return the name of class i (owned by the dataset), or NULL when out of range. Since: 0.1 */
PARN_API const char *parn_dataset_class_name(const parn_dataset_t *dataset, int i);

/** @return the number of synthetic actions (walk, run, jump, fall, wave, ...). Since: 0.1 */
PARN_API int parn_synthetic_num_actions(void);

/** @return the static name of synthetic action i, or NULL when out of range. Since: 0.1 */
PARN_API const char *parn_synthetic_action_name(int action);

/**
 * Renders a synthetic action clip: figures with faces on a textured background, the main
 * figure doing `action`; the same (action, seed, size) always gives the same pixels.
 * @param frames     (out) n_frames new RGB24 frames; free each with parn_frame_free.
 * @param face_boxes (out, may be NULL) 4 floats per frame: x, y, width, height of the main
 *                   figure's face.
 * @return PARN_OK; PARN_E_INVALID_ARG (unknown action, sizes outside 32..4096, n_frames outside
 *         1..1024); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_synthetic_clip(int action, uint64_t seed, int width, int height,
                                         int n_frames, parn_frame_t **frames, float *face_boxes);

/**
 * Creates a trainer for one phase of the paper's schedule (section 4.3).
 * @param session the device and threads to train on (borrowed; outlives the trainer).
 * @param phase   "gan" (generator and discriminator, D updated once per k G steps),
 *                "classifier" (FEM + C3D) or "joint" (every network at one tenth of the rates,
 *                L_final = L_total + l_cls L_cls).
 * @param init    starting weights, copied (the trainer never changes it); the networks the
 *                phase needs and init lacks are created fresh from opts (PARN_OPT_CLASSES,
 *                PARN_OPT_CLASS_NAMES, PARN_OPT_MODEL_CONFIG, PARN_OPT_SEED). NULL: all fresh.
 * @param opts    PARN_OPT_TRAIN_CONFIG, PARN_OPT_SEED and the model keys; NULL = defaults.
 * @return PARN_OK; PARN_E_INVALID_ARG (unknown phase, bad config); PARN_E_NOT_FOUND (the face
 *         embedder the identity loss needs cannot be found); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_trainer_create(parn_session_t *session, const char *phase,
                                         const parn_model_t *init, const parn_options_t *opts,
                                         parn_trainer_t **out);

/**
 * Gives the trainer its data (borrowed; it must outlive the trainer or the next call that
 * replaces it). Face datasets feed the GAN, action datasets the classifier; the joint phase
 * needs one of each, so call this once per kind.
 * @return PARN_OK; PARN_E_INVALID_ARG (NULL, a kind this phase does not use). Since: 0.1
 */
PARN_API parn_status parn_trainer_set_data(parn_trainer_t *trainer, parn_dataset_t *dataset);

/**
 * One optimisation step: one batch through the phase's networks, losses, gradients, clipping,
 * optimizer updates and schedules (the GAN phase counts generator steps).
 * @return PARN_OK; PARN_E_STATE (no data for the phase); PARN_E_BACKEND; PARN_E_NOMEM;
 *         PARN_E_IO, PARN_E_FORMAT (data that cannot be decoded). Since: 0.1
 */
PARN_API parn_status parn_trainer_step(parn_trainer_t *trainer);

/** @return the number of steps done (resumed runs continue the count), or -1 for NULL. Since: 0.1 */
PARN_API int64_t parn_trainer_step_count(const parn_trainer_t *trainer);

/**
 * The last step's record as one line of JSON: step, phase, each loss term, learning rates,
 * gradient norms, seconds per step (what parn-train --log writes).
 * @return a string owned by the trainer, valid until the next call on it; "{}" before any step.
 * Since: 0.1
 */
PARN_API const char *parn_trainer_log(const parn_trainer_t *trainer);

/**
 * Evaluates the current weights on up to max_items items of dataset (all when max_items <= 0)
 * without changing them: classifier phases report top-1 accuracy and mean loss; the GAN phase
 * reports SSIM and the face-embedder distance between X and G(X).
 * @param json (out) one line of JSON owned by the trainer, valid until the next call on it.
 * @return as parn_trainer_step. Since: 0.1
 */
PARN_API parn_status parn_trainer_evaluate(parn_trainer_t *trainer, parn_dataset_t *dataset,
                                           int64_t max_items, const char **json);

/**
 * Writes a checkpoint: weights, optimizer state, step, random generator states and every
 * configuration, to a temporary file renamed into place (a killed process never leaves a
 * corrupt file at path). A checkpoint is also a model file: parn_model_load reads its weights.
 * @return PARN_OK; PARN_E_INVALID_ARG; PARN_E_IO; PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_trainer_checkpoint(parn_trainer_t *trainer, const char *path);

/**
 * Recreates a trainer from a checkpoint; after parn_trainer_set_data with the same datasets, it
 * continues exactly where the checkpointed run was (on the CPU, the same losses bit for bit as
 * a run that never stopped).
 * @param opts NULL, or PARN_OPT_TRAIN_CONFIG keys that may change on resume (the step budget,
 *             logging and checkpoint intervals).
 * @return PARN_OK; PARN_E_IO; PARN_E_FORMAT (not a checkpoint, corrupt); PARN_E_NOMEM. Since: 0.1
 */
PARN_API parn_status parn_trainer_resume(parn_session_t *session, const char *path,
                                         const parn_options_t *opts, parn_trainer_t **out);

/**
 * Snapshots the current weights (every network the trainer holds) as a new model, for
 * inference or parn_model_save. @param out (out) free with parn_model_destroy. Since: 0.1
 */
PARN_API parn_status parn_trainer_export(const parn_trainer_t *trainer, parn_model_t **out);

/** Frees a trainer; NULL is a no-op. Since: 0.1 */
PARN_API void parn_trainer_destroy(parn_trainer_t *trainer);

#ifdef __cplusplus
}
#endif

#endif /* PARN_H */
