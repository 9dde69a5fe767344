package export

import (
	"fmt"
	"strings"
)

// readme is the package's README.txt: what it is and how to check it, in
// Vietnamese first, then English.
func readme(m *Manifest) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	cams := make([]string, len(m.Cameras))
	var masked []string
	for i, c := range m.Cameras {
		cams[i] = c.ID
		if len(c.PrivacyMasks) > 0 && len(c.Clips) > 0 {
			masked = append(masked, c.ID)
		}
	}
	exceptVI, exceptEN := "", ""
	if len(masked) > 0 {
		exceptVI, exceptEN = ", trừ phần che vùng riêng tư nêu dưới đây", " but for the privacy masks below"
	}
	w("GÓI CHỨNG CỨ MẮT THẦN / MẮT THẦN EVIDENCE PACKAGE\n")
	w("Mã gói / Package: %s\n", m.ID)
	w("Camera: %s\n", strings.Join(cams, ", "))
	w("Khoảng thời gian / Range: %s – %s (giờ Việt Nam / Vietnam time, UTC+07:00)\n", m.Range.From.Local, m.Range.To.Local)
	w("Nút ký / Signed by node: %s (%s)\n", m.Node.ID, m.Node.Name)
	w("Khóa công khai / Public key (Ed25519, base64): %s\n\n", m.Node.PublicKey)

	w("TIẾNG VIỆT\n")
	w("Gói này chứa các đoạn video gốc (không mã hóa lại%s), tệp manifest.json mô tả camera, chủ sở hữu,\n", exceptVI)
	w("địa chỉ, thời gian (UTC và giờ Việt Nam), các đoạn ghi hình gốc với chuỗi băm SHA-256, mã SHA-256\n")
	w("của từng tệp, người trích xuất, lý do và số vụ việc; manifest.sig là chữ ký Ed25519 của manifest.json.\n")
	w("Cách kiểm tra:\n")
	w("  1. matthan verify GÓI.zip   (kiểm tra toàn bộ, không cần mạng)\n")
	w("  2. Hoặc tự kiểm tra: giải nén, rồi\n")
	w("     openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s -sigfile %s\n", PublicKeyName, ManifestName, SignatureName)
	w("     và so kết quả của `sha256sum TỆP` với mục \"files\" trong %s.\n", ManifestName)
	w("  3. Đối chiếu mã nút (%s) và khóa công khai với nút đã trích xuất gói.\n", m.Node.ID)
	w("Mọi thay đổi, thêm hoặc bớt tệp đều làm kiểm tra thất bại.\n")
	if len(masked) > 0 {
		w("Vùng che riêng tư: video của camera %s đã được mã hóa lại (H.264) để che các vùng riêng tư\n", strings.Join(masked, ", "))
		w("(tô đen, ví dụ cửa sổ nhà bên cạnh; xem \"privacy_masks\" trong %s); âm thanh giữ nguyên.\n", ManifestName)
		w("Các tệp video đó không phải dữ liệu ghi gốc: mã SHA-256 và chuỗi băm của các đoạn ghi hình gốc\n")
		w("trong %s chứng minh nội dung đã được ghi.\n", ManifestName)
	}
	w("\n")

	w("ENGLISH\n")
	w("This package holds the original video clips (not re-encoded%s); manifest.json describes the cameras,\n", exceptEN)
	w("owners, addresses, times (UTC and Vietnam time), the source segments with their SHA-256 hash chain,\n")
	w("the SHA-256 of every file, who exported it, the reason and the case number; manifest.sig is the\n")
	w("Ed25519 signature of manifest.json's exact bytes.\n")
	w("How to verify:\n")
	w("  1. matthan verify PACKAGE.zip   (checks everything, offline)\n")
	w("  2. Or by hand: unzip, then\n")
	w("     openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s -sigfile %s\n", PublicKeyName, ManifestName, SignatureName)
	w("     and compare `sha256sum FILE` with the \"files\" list in %s.\n", ManifestName)
	w("  3. Check that the node id (%s) and public key are those of the node that exported it.\n", m.Node.ID)
	w("Any changed, added or removed file makes verification fail.\n")
	if len(masked) > 0 {
		w("Privacy masks: the video of camera %s was re-encoded (H.264) to hide private areas\n", strings.Join(masked, ", "))
		w("(painted black, e.g. a neighbour's window; see \"privacy_masks\" in %s); its audio is unchanged.\n", ManifestName)
		w("Those clips are not the recorded bytes: the SHA-256 digests and hash chain of the source segments\n")
		w("in %s prove what was recorded.\n", ManifestName)
	}
	return b.String()
}
