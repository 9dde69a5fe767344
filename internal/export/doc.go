// Package export builds evidence packages and verifies them offline.
//
// An evidence package is a zip archive whose entries are stored, not
// compressed (video does not compress, and stored bytes are the recorded
// bytes), in this order:
//
//	CAMERA-N.mp4          the clips: original samples, no re-encode, one or
//	                      more parts per camera (a part ends where the
//	                      camera changed its codec parameters); a camera
//	                      with privacy masks has its video re-encoded
//	                      with them painted black (internal/privacy)
//	README.txt            how to verify, in Vietnamese and English
//	node-public-key.pem   the node's Ed25519 public key, for openssl
//	manifest.json         what the package holds and where it came from
//	manifest.sig          Ed25519 signature (64 raw bytes) of manifest.json's exact bytes
//
// The manifest lists every other file with its size and SHA-256, the node's
// identity and public key, who exported the footage and why, the cameras
// (owner, area, address, coordinates), the asked range and each clip's
// real range in UTC and Asia/Ho_Chi_Minh, the source segments with their
// SHA-256 hash chain, and the gaps in the range with their reasons. A
// masked camera's entry lists its masks and each of its clips says it was
// re-encoded: the file's digest is the masked file's, and the source
// segments' chain still states what was recorded.
//
// Verify trusts nothing in a package: it checks the signature, every
// file's size and digest, that no file is missing or added, and that the
// hash chain the manifest states is consistent, and says exactly what is
// wrong in English and Vietnamese.
//
// Exports are kept under DATA/exports, each zip with a JSON sidecar saying
// until when it must be kept; retention only ever deletes segments under
// the recordings directory, and Prune deletes no package before its
// keep-until time.
package export
