// The preview lives in catalog/ so that the health summary (catalog/site/health*.ts) can
// count an endorser's unpublished changes without catalog/ importing server/.
export {
  previewPublish,
  type ImageChange,
  type PublishPreview,
} from '../../../catalog/publish-preview.ts';
