package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"matthan"
	"matthan/internal/export"
)

// The evidence packages page (/exports): every package kept on the node,
// newest first, with what it holds, who made it and why, its SHA-256 for a
// chain-of-custody record, and its download (the API's
// /api/exports/{id}.zip, which audits each download). An export over the
// web goes on when its page is left; this is where it is found again.

// exportMessages are the texts of /exports (keys "export.…").
var exportMessages = map[string][2]string{
	"nav.exports": {"Gói chứng cứ", "Evidence packages"},

	"export.title":       {"Gói chứng cứ đã trích xuất", "Evidence packages"},
	"export.intro":       {"Các gói chứng cứ lưu trên máy chủ, mới nhất trước. Mỗi lần tải về đều được ghi nhật ký. Gói vẫn được tạo nếu bạn rời trang khi đang trích xuất.", "The evidence packages kept on this node, newest first. Every download is logged. A package is still made if you leave the page while it is being exported."},
	"export.unavailable": {"Máy chủ này không lưu gói chứng cứ.", "This node keeps no evidence packages."},
	"export.none":        {"Chưa có gói chứng cứ nào.", "No evidence package yet."},
	"export.created":     {"Thời điểm tạo", "Made at"},
	"export.cameras":     {"Camera", "Cameras"},
	"export.range":       {"Khoảng thời gian", "Footage"},
	"export.by":          {"Người trích xuất", "Exported by"},
	"export.reason":      {"Lý do", "Reason"},
	"export.case":        {"Số vụ việc", "Case"},
	"export.size":        {"Dung lượng", "Size"},
	"export.keep":        {"Lưu đến", "Kept until"},
	"export.download":    {"Tải về", "Download"},
}

func (s *Server) exportRoutes(mux *http.ServeMux) {
	mux.Handle("GET /exports", s.signedIn(canPlayBack, s.exportsPage))
}

type exportsData struct {
	Available bool
	Packages  []exportRow
}

type exportRow struct {
	ID, SHA256, Created, From, To, By, Reason, Case, Size, KeepUntil, Download string
	Cameras                                                                    string
}

func (s *Server) exportsPage(r *http.Request, v *view) (string, error) {
	v.Title = v.T("export.title")
	d := &exportsData{}
	v.Data = d
	if s.deps.ExportDir == "" {
		return "exports", nil
	}
	d.Available = true
	kept, err := export.List(s.deps.ExportDir)
	if err != nil {
		return "", err
	}
	for _, p := range slices.Backward(kept) {
		d.Packages = append(d.Packages, exportRow{ID: p.ID, SHA256: p.SHA256, Created: matthan.FormatLocal(p.CreatedAt),
			From: matthan.FormatLocal(p.From), To: matthan.FormatLocal(p.To), By: p.ExportedBy, Reason: p.Reason,
			Case: p.Case, Size: formatNumber(v.Lang, float64(p.Size)/1e6, 1) + " MB", KeepUntil: matthan.FormatLocal(p.KeepUntil),
			Download: "/api/exports/" + url.PathEscape(p.ID) + ".zip", Cameras: strings.Join(p.Cameras, ", ")})
	}
	return "exports", nil
}
