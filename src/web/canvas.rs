use crate::protocol::SampleView;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// Draws an image sample into `canvas` at its native size (CSS scales it up). Other views
/// are not drawn on canvases.
pub fn draw_image(canvas: &HtmlCanvasElement, view: &SampleView) {
    let SampleView::Image {
        channels,
        height,
        width,
        pixels,
    } = view
    else {
        return;
    };
    let (w, h, c) = (*width, *height, *channels);
    let plane = w * h;
    let mut rgba = vec![255u8; plane * 4];
    for i in 0..plane {
        for k in 0..3 {
            let channel = if c >= 3 { k } else { 0 };
            rgba[i * 4 + k] = pixels.get(channel * plane + i).copied().unwrap_or(0);
        }
    }
    draw_rgba(canvas, w, h, &rgba);
}

/// Draws `rgba` (`width × height` pixels, 4 bytes each) into `canvas` at its native size.
pub fn draw_rgba(canvas: &HtmlCanvasElement, width: usize, height: usize, rgba: &[u8]) {
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let Ok(Some(context)) = canvas.get_context("2d") else {
        return;
    };
    let Ok(context) = context.dyn_into::<CanvasRenderingContext2d>() else {
        return;
    };
    if let Ok(image) =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width as u32, height as u32)
    {
        let _ = context.put_image_data(&image, 0.0, 0.0);
    }
}
