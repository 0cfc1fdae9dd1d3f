// SPDX-License-Identifier: MIT

// Command anonymize anonymizes every face of a video file, frame by frame:
//
//	anonymize IN OUT [MODEL]
//
// Without MODEL the faces are blurred (the face detector comes from the setup step); with a
// model holding a generator they are regenerated. The output keeps the input's size, timing
// and audio. A camera or VMS would pass its own decoded frames to Session.Anonymize.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"libparn.org/parn"
)

func run(in, out, modelPath string) error {
	if err := parn.InitCheck(); err != nil {
		return err
	}
	var model *parn.Model
	if modelPath != "" {
		var err error
		if model, err = parn.LoadModel(modelPath); err != nil {
			return err
		}
		defer model.Close()
	}
	session, err := parn.NewSession(model, nil)
	if err != nil {
		return err
	}
	defer session.Close()
	reader, err := parn.OpenVideo(in)
	if err != nil {
		return err
	}
	defer reader.Close()
	writer, err := parn.CreateVideoLike(out, reader)
	if err != nil {
		return err
	}
	defer writer.Abort() // a no-op once Close finished the file

	frames, faces := 0, 0
	for {
		frame, err := reader.ReadView() // the reader's buffer: no copy
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		// in place; on failure the frame is black and the unfinished file is deleted
		records, err := session.Anonymize(frame, frame)
		if err != nil {
			return err
		}
		if err := writer.Write(frame); err != nil {
			return err
		}
		frames++
		faces += len(records)
	}
	if err := writer.Close(); err != nil {
		return err
	}
	fmt.Printf("%s: %d frames, %d face records\n", out, frames, faces)
	return nil
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: anonymize IN OUT [MODEL]")
		os.Exit(2)
	}
	model := ""
	if len(os.Args) == 4 {
		model = os.Args[3]
	}
	if err := run(os.Args[1], os.Args[2], model); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
