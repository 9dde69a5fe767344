// Package pdf prints the ward's documents as PDF in Vietnamese: the
// thank-you letter for a donation, and the building blocks later documents
// (reminder notices, reports) share: the header of a Vietnamese
// administrative document, titles, paragraphs, and the signature block.
//
// The DejaVu Sans fonts are embedded in the binary (fonts/LICENSE), so
// every diacritic prints on a machine with no fonts installed.
package pdf

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"matthan"
)

var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
	//go:embed fonts/DejaVuSans-Oblique.ttf
	fontItalic []byte
)

const family = "DejaVu"

// Page geometry in millimetres: A4 with the wide left margin of Vietnamese
// administrative documents (Decree 30/2020/NĐ-CP asks 30–35 mm; 25 mm
// keeps more text on a page and still binds).
const (
	pageW       = 210.0
	marginLeft  = 25.0
	marginRight = 20.0
	marginTop   = 20.0
	marginBot   = 20.0
	textW       = pageW - marginLeft - marginRight
	bodySize    = 12.0
	lineH       = 6.5
)

// Ward names the ward on its documents (internal/config's ward.* options).
type Ward struct {
	Name        string // "Phường An Bình"
	Authority   string // "UBND PHƯỜNG AN BÌNH": the issuing body, top left
	City        string // "TP. Cần Thơ": the place in the date line
	Signer      string // "Trần Minh Tâm"
	SignerTitle string // "CHỦ TỊCH"
}

// Document is one PDF being written. Its methods draw from the top of the
// page down; a failure inside fpdf is kept and returned by Write.
type Document struct {
	f *fpdf.Fpdf
}

// NewDocument starts an A4 document with the embedded fonts. title and
// created go into the file's metadata (fixed times make identical files).
func NewDocument(title string, created time.Time) *Document {
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(family, "", fontRegular)
	f.AddUTF8FontFromBytes(family, "B", fontBold)
	f.AddUTF8FontFromBytes(family, "I", fontItalic)
	f.SetMargins(marginLeft, marginTop, marginRight)
	f.SetAutoPageBreak(true, marginBot)
	f.SetTitle(title, true)
	f.SetCreator("Mắt Thần", true)
	f.SetLang("vi-VN")
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.AddPage()
	f.SetFont(family, "", bodySize)
	return &Document{f: f}
}

// Fpdf gives the underlying document for drawing that this package does
// not offer (tables, charts).
func (d *Document) Fpdf() *fpdf.Fpdf { return d.f }

// Write finishes the document and writes it to w.
func (d *Document) Write(w io.Writer) error {
	if err := d.f.Error(); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	if err := d.f.Output(w); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	return nil
}

// DateLine is a document's place and date as the administrative style
// writes them, with a zero before days under 10 and the months January
// and February: "TP. Cần Thơ, ngày 05 tháng 01 năm 2026",
// "TP. Cần Thơ, ngày 27 tháng 11 năm 2026". t is read in Vietnam.
func DateLine(city string, t time.Time) string {
	l := t.In(matthan.Vietnam)
	month := fmt.Sprint(int(l.Month()))
	if l.Month() <= time.February {
		month = "0" + month
	}
	return fmt.Sprintf("%s, ngày %02d tháng %s năm %d", city, l.Day(), month, l.Year())
}

// Header draws the top of an administrative document: on the left the
// issuing body (bold, with a short rule under it), on the right the
// national title "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and the motto
// "Độc lập - Tự do - Hạnh phúc" (underlined), and below it the place and
// date in italics. number, if not "", is the document's number ("Số: …")
// under the issuing body.
func (d *Document) Header(w Ward, number string, date time.Time) {
	f := d.f
	const leftW, gap = 68.0, 4.0
	rightX := marginLeft + leftW + gap
	rightW := pageW - marginRight - rightX
	top := f.GetY()

	// Left: the issuing body, centred, wrapped if long.
	f.SetFont(family, "B", 11)
	f.SetXY(marginLeft, top)
	f.MultiCell(leftW, 5.5, strings.ToUpper(w.Authority), "", "C", false)
	leftY := f.GetY()
	rule(f, marginLeft+leftW/2, leftY+0.8, leftW/3)
	leftY += 2.5
	if number != "" {
		f.SetFont(family, "", 11)
		f.SetXY(marginLeft, leftY)
		f.MultiCell(leftW, 5.5, "Số: "+number, "", "C", false)
		leftY = f.GetY()
	}

	// Right: the national title and the motto.
	nation := "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	f.SetFont(family, "B", fitSize(f, "B", nation, rightW, 11))
	f.SetXY(rightX, top)
	f.CellFormat(rightW, 5.5, nation, "", 2, "C", false, 0, "")
	motto := "Độc lập - Tự do - Hạnh phúc"
	f.SetFont(family, "B", 11.5)
	f.SetX(rightX)
	f.CellFormat(rightW, 6, motto, "", 2, "C", false, 0, "")
	rule(f, rightX+rightW/2, f.GetY()+0.3, f.GetStringWidth(motto))
	rightY := f.GetY() + 4

	y := max(leftY, rightY)
	f.SetFont(family, "I", 11)
	f.SetXY(rightX, y)
	f.CellFormat(rightW, 6, DateLine(w.City, date), "", 1, "C", false, 0, "")
	f.SetY(f.GetY() + 6)
	f.SetFont(family, "", bodySize)
}

// rule draws a horizontal line of width w centred on x.
func rule(f *fpdf.Fpdf, x, y, w float64) {
	f.SetLineWidth(0.3)
	f.Line(x-w/2, y, x+w/2, y)
}

// fitSize returns the largest font size up to size (in half points) at
// which s fits in width.
func fitSize(f *fpdf.Fpdf, style, s string, width, size float64) float64 {
	for ; size > 7; size -= 0.5 {
		f.SetFont(family, style, size)
		if f.GetStringWidth(s) <= width {
			break
		}
	}
	return size
}

// Title draws a document's name, bold and centred, and an optional
// subtitle under it ("V/v …").
func (d *Document) Title(title, subtitle string) {
	f := d.f
	f.SetFont(family, "B", 14)
	f.MultiCell(textW, 7.5, title, "", "C", false)
	if subtitle != "" {
		f.SetFont(family, "B", bodySize)
		f.MultiCell(textW, lineH, subtitle, "", "C", false)
	}
	f.Ln(3)
	f.SetFont(family, "", bodySize)
}

// Centered writes one centred line (or several, wrapped) in style ("",
// "B" or "I").
func (d *Document) Centered(text, style string) {
	d.f.SetFont(family, style, bodySize)
	d.f.MultiCell(textW, lineH, text, "", "C", false)
	d.f.SetFont(family, "", bodySize)
}

// Paragraph writes body text, justified, with a first-line indent.
func (d *Document) Paragraph(text string) {
	d.f.SetFont(family, "", bodySize)
	d.f.MultiCell(textW, lineH, "\u2003\u2003"+text, "", "J", false)
	d.f.Ln(1)
}

// Field writes "label: value" with the label in bold, wrapping the value.
func (d *Document) Field(label, value string) {
	f := d.f
	f.SetFont(family, "B", bodySize)
	lw := f.GetStringWidth(label+": ") + 0.5
	f.CellFormat(lw, lineH, label+": ", "", 0, "L", false, 0, "")
	f.SetFont(family, "", bodySize)
	f.MultiCell(textW-lw, lineH, value, "", "L", false)
}

// Bullets writes a list with hanging dashes.
func (d *Document) Bullets(items []string) {
	f := d.f
	f.SetFont(family, "", bodySize)
	for _, it := range items {
		f.SetX(marginLeft + 4)
		f.CellFormat(5, lineH, "-", "", 0, "L", false, 0, "")
		f.MultiCell(textW-9, lineH, it, "", "L", false)
	}
	f.Ln(1)
}

// Closing draws the foot of the document side by side: on the left
// "Nơi nhận:" and its lines (small), on the right the signer's title,
// room for the signature and seal, and the signer's name.
func (d *Document) Closing(w Ward, recipients []string) {
	f := d.f
	f.Ln(4)
	const leftW = 72.0
	rightX := marginLeft + leftW + 4
	rightW := pageW - marginRight - rightX
	if f.GetY() > 297-marginBot-50 { // keep the signature block whole
		f.AddPage()
	}
	top := f.GetY()
	if len(recipients) > 0 {
		f.SetFont(family, "B", 11)
		f.SetXY(marginLeft, top)
		f.CellFormat(leftW, 5.5, "Nơi nhận:", "", 2, "L", false, 0, "")
		f.SetFont(family, "", 10)
		for _, r := range recipients {
			f.SetX(marginLeft)
			f.MultiCell(leftW, 5, r, "", "L", false)
		}
	}
	f.SetFont(family, "B", bodySize)
	f.SetXY(rightX, top)
	f.MultiCell(rightW, lineH, strings.ToUpper(w.SignerTitle), "", "C", false)
	f.SetFont(family, "I", 10)
	f.SetX(rightX)
	f.CellFormat(rightW, 5, "(Ký, ghi rõ họ tên, đóng dấu)", "", 2, "C", false, 0, "")
	f.SetY(f.GetY() + 24)
	f.SetFont(family, "B", bodySize)
	f.SetX(rightX)
	f.MultiCell(rightW, lineH, w.Signer, "", "C", false)
	f.SetFont(family, "", bodySize)
}
