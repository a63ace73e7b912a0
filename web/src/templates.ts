// The labeling templates offered when creating a project, each with sample data for the live
// preview. Written for Tessera; every config is checked against the server in the browser test.

/** A labeling setup to start a project from. */
export interface Template {
  id: string;
  title: string;
  group: string;
  config: string;
  /** Task data the live preview renders the config with. */
  sample: Record<string, unknown>;
}

/** Media files bundled with the app for live previews. */
export const SAMPLE_MEDIA = { image: "/samples/image.svg", audio: "/samples/tone.wav", video: "/samples/video.webm" };
const { image: IMAGE, audio: AUDIO, video: VIDEO } = SAMPLE_MEDIA;

/** Every template, grouped by kind of data. */
export const TEMPLATES: Template[] = [
  {
    id: "text-classification",
    title: "Text classification",
    group: "Natural language",
    config: `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive" background="#22a06b"/>
    <Choice value="Negative" background="#d0021b"/>
    <Choice value="Neutral" background="#8b95a1"/>
  </Choices>
</View>`,
    sample: { text: "The delivery was quick and the support team answered every question." },
  },
  {
    id: "ner",
    title: "Named entity recognition",
    group: "Natural language",
    config: `<View>
  <Labels name="label" toName="text">
    <Label value="Person" background="#f5a623"/>
    <Label value="Organization" background="#4a90e2"/>
    <Label value="Location" background="#7ed321"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>`,
    sample: { text: "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine." },
  },
  {
    id: "relations",
    title: "Sentiment spans with relations",
    group: "Natural language",
    config: `<View>
  <Relations>
    <Relation value="describes"/>
    <Relation value="contrasts"/>
  </Relations>
  <Labels name="aspect" toName="text">
    <Label value="Aspect" background="#4a90e2"/>
    <Label value="Positive opinion" background="#22a06b"/>
    <Label value="Negative opinion" background="#d0021b"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>`,
    sample: { text: "The screen is gorgeous, but the battery drains far too fast." },
  },
  {
    id: "html-classification",
    title: "HTML classification",
    group: "Natural language",
    config: `<View>
  <HyperText name="page" value="$html"/>
  <Choices name="topic" toName="page" choice="multiple" showInline="true">
    <Choice value="News"/>
    <Choice value="Opinion"/>
    <Choice value="Advertising"/>
  </Choices>
</View>`,
    sample: { html: "<h3>Local library extends opening hours</h3><p>From Monday the reading room stays open until 9 pm.</p>" },
  },
  {
    id: "llm-ranking",
    title: "Conversation and LLM response rating",
    group: "Generative AI",
    config: `<View>
  <Paragraphs name="dialogue" value="$dialogue" layout="dialogue" nameKey="author" textKey="text"/>
  <Header value="How good is the assistant's last answer?"/>
  <Choices name="verdict" toName="dialogue" choice="single" showInline="true">
    <Choice value="Helpful"/>
    <Choice value="Partly helpful"/>
    <Choice value="Unhelpful"/>
    <Choice value="Harmful"/>
  </Choices>
  <Rating name="score" toName="dialogue" maxRating="5"/>
</View>`,
    sample: {
      dialogue: [
        { author: "user", text: "How long should I boil an egg for a runny yolk?" },
        { author: "assistant", text: "About six minutes in boiling water, then cool it under cold water." },
      ],
    },
  },
  {
    id: "image-classification",
    title: "Image classification",
    group: "Computer vision",
    config: `<View>
  <Image name="image" value="$image"/>
  <Choices name="choice" toName="image" showInline="true">
    <Choice value="Street"/>
    <Choice value="Indoor"/>
    <Choice value="Nature"/>
  </Choices>
</View>`,
    sample: { image: IMAGE },
  },
  {
    id: "object-detection",
    title: "Object detection with boxes",
    group: "Computer vision",
    config: `<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car" background="#d0021b"/>
    <Label value="Person" background="#4a90e2"/>
  </RectangleLabels>
</View>`,
    sample: { image: IMAGE },
  },
  {
    id: "polygons",
    title: "Segmentation with polygons",
    group: "Computer vision",
    config: `<View>
  <Image name="image" value="$image" zoom="true"/>
  <PolygonLabels name="label" toName="image" strokeWidth="2" opacity="0.4">
    <Label value="Vehicle" background="#d0021b"/>
    <Label value="Sky" background="#4a90e2"/>
    <Label value="Grass" background="#22a06b"/>
  </PolygonLabels>
</View>`,
    sample: { image: IMAGE },
  },
  {
    id: "keypoints",
    title: "Keypoints",
    group: "Computer vision",
    config: `<View>
  <Image name="image" value="$image" zoom="true"/>
  <KeyPointLabels name="point" toName="image" strokeWidth="3">
    <Label value="Head" background="#f5a623"/>
    <Label value="Wheel" background="#1f2937"/>
  </KeyPointLabels>
</View>`,
    sample: { image: IMAGE },
  },
  {
    id: "ocr",
    title: "Optical character recognition",
    group: "Computer vision",
    config: `<View>
  <Image name="image" value="$image"/>
  <Labels name="kind" toName="image">
    <Label value="Text" background="#4a90e2"/>
    <Label value="Handwriting" background="#f5a623"/>
  </Labels>
  <Rectangle name="box" toName="image" strokeWidth="2"/>
  <TextArea name="transcription" toName="image" editable="true" perRegion="true" required="true" maxSubmissions="1" rows="3" placeholder="Recognized text"/>
</View>`,
    sample: { image: IMAGE },
  },
  {
    id: "audio-transcription",
    title: "Audio transcription",
    group: "Audio and speech",
    config: `<View>
  <Audio name="audio" value="$audio"/>
  <TextArea name="transcription" toName="audio" rows="4" editable="true" maxSubmissions="1"/>
</View>`,
    sample: { audio: AUDIO },
  },
  {
    id: "audio-segmentation",
    title: "Audio segmentation",
    group: "Audio and speech",
    config: `<View>
  <Labels name="speaker" toName="audio">
    <Label value="Speaker 1" background="#4a90e2"/>
    <Label value="Speaker 2" background="#f5a623"/>
    <Label value="Noise" background="#8b95a1"/>
  </Labels>
  <Audio name="audio" value="$audio"/>
</View>`,
    sample: { audio: AUDIO },
  },
  {
    id: "video-classification",
    title: "Video classification",
    group: "Video",
    config: `<View>
  <Video name="video" value="$video"/>
  <Choices name="scene" toName="video" choice="single" showInline="true">
    <Choice value="Indoor"/>
    <Choice value="Outdoor"/>
    <Choice value="Animation"/>
  </Choices>
</View>`,
    sample: { video: VIDEO },
  },
  {
    id: "time-series",
    title: "Time series segmentation",
    group: "Time series",
    config: `<View>
  <TimeSeriesLabels name="event" toName="signal">
    <Label value="Spike" background="#d0021b"/>
    <Label value="Plateau" background="#4a90e2"/>
  </TimeSeriesLabels>
  <TimeSeries name="signal" value="$signal" valueType="json" timeColumn="time">
    <Channel column="value" strokeColor="#2563eb" legend="Sensor"/>
  </TimeSeries>
</View>`,
    sample: {
      signal: {
        time: Array.from({ length: 60 }, (_, i) => i),
        value: Array.from({ length: 60 }, (_, i) => Math.round((Math.sin(i / 5) * 10 + (i > 30 && i < 36 ? 25 : 0)) * 10) / 10),
      },
    },
  },
];
