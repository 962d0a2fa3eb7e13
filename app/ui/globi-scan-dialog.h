/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* "Scan QR code": the camera's live preview with camera selection, or an image opened,
 * dropped or pasted (or pasted text). The first code read goes to the window's
 * dispatcher (globi_window_open_code) and the dialog closes. States: starting, scanning,
 * no camera, access denied, camera failed, found. */
#define GLOBI_TYPE_SCAN_DIALOG (globi_scan_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiScanDialog, globi_scan_dialog, GLOBI, SCAN_DIALOG, AdwWindow)

/* Opens the dialog over parent's window (a GlobiWindow receives the result). */
GlobiScanDialog *globi_scan_dialog_present   (GtkWidget       *parent);
/* The visible state's name: "starting", "scanning", "no-camera", "denied", "failed",
 * "found" (for tests). */
const char      *globi_scan_dialog_get_state (GlobiScanDialog *self);
/* Hands text to the dispatcher as a scan would (tests; the paste path). */
void             globi_scan_dialog_take_text (GlobiScanDialog *self,
                                              const char      *text);

G_END_DECLS
