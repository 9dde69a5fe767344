// Package playback serves recorded footage from the segment files and
// their index, without re-encoding: what was recorded and what was not
// (Spans), any range as one progressive MP4 (Open), as an HLS playlist of
// byte ranges of the segment files (NewPlaylist, ReadInit, WritePart), and a
// JPEG of any moment (Thumbnail).
//
// # Clips
//
// A Clip is a "virtual file" (Moonfire NVR's idea): ftyp, moov with the
// sample tables, and mdat, where only the header is built in memory; the
// sample bytes are the recorded ones, read from the segment files when the
// clip is read. Building it reads only the moof boxes of the fragments in
// the range, starting at the keyframe the index names for the range's
// start, so a clip of an hour costs a few hundred small reads and about
// 4 bytes a frame of memory.
//
//   - Start: the clip begins with the keyframe at or before the asked start
//     and carries an edit list, so players show first the frame that is on
//     screen at the asked start (Clip.Start is when that frame begins, at
//     most one frame before). The frames between the keyframe and it are
//     decoded, not shown.
//   - End: the last frame is the last one that starts before the asked end.
//   - Gaps: inside a segment a hole in the media shows as the frame before
//     it held longer. Between segments the timeline just continues: the
//     next segment's first frame follows the last frame before the gap, so
//     players see a cut, and the clip's duration is the recorded time, not
//     the wall-clock span. Spans tells the truth about what is missing and
//     why; an export states both.
//   - Audio, when recorded, is placed against each segment's video exactly
//     as in the segment file.
//   - Codec parameters: one clip has one sample description per track. When
//     the parameters change inside the range (a new resolution or codec,
//     audio switched on or off), the clip stops before the first segment
//     that differs and NextFrom says where the next part begins; the same
//     happens after MaxClipDuration.
//
// # HLS
//
// A playlist's parts are whole GOPs (at least four seconds where the
// keyframes allow) of the segment files, as byte ranges; serving a part
// rewrites only its tfdt boxes so all parts share one timeline, gaps
// closed as in a clip, with EXT-X-PROGRAM-DATE-TIME giving each part's
// wall-clock time. A change of codec parameters starts a discontinuity
// with the init of the new file.
//
// # Times
//
// ParseTime accepts RFC 3339 and dd/MM/yyyy HH:mm:ss in Asia/Ho_Chi_Minh;
// every time returned is UTC.
package playback
